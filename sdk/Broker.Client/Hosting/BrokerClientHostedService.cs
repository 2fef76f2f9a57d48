using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Client;

/// <summary>
/// Starts the registered <see cref="BrokerClient"/> with the host (a no-op when configuration already started it),
/// and gives a client that has no logger the host's <see cref="ILoggerFactory"/> for as long as the host lives.
/// </summary>
/// <remarks>
/// The client that <c>AddBrokerCredentials</c> creates is built with the configuration, before the host's logging
/// exists; without this its refresh failures and rotations would be logged nowhere.
/// </remarks>
internal sealed class BrokerClientHostedService : IHostedService, IDisposable
{
    private readonly BrokerClient _client;
    private readonly ILoggerFactory? _attached;

    public BrokerClientHostedService(BrokerClient client, ILoggerFactory? loggerFactory = null)
    {
        _client = client;

        // A mock made with the protected constructor has no logging of its own.
        if (loggerFactory is not null && client.Logging?.TryAttach(loggerFactory) == true)
        {
            _attached = loggerFactory;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => _client.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The host's factory is disposed with it; the client may outlive the host (the configuration owns it).</summary>
    public void Dispose()
    {
        if (_attached is not null)
        {
            _client.Logging.Detach(_attached);
        }
    }
}
