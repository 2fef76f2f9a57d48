using Microsoft.Extensions.Hosting;

namespace Broker.Client;

/// <summary>Starts the registered <see cref="BrokerClient"/> with the host (a no-op when configuration already started it).</summary>
internal sealed class BrokerClientHostedService : IHostedService
{
    private readonly BrokerClient _client;

    public BrokerClientHostedService(BrokerClient client) => _client = client;

    public Task StartAsync(CancellationToken cancellationToken) => _client.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
