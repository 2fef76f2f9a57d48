using Microsoft.Extensions.Configuration;

namespace Broker.Client;

/// <summary>
/// The configuration source behind <c>AddBrokerCredentials</c>: serves <c>Credentials:NAME</c> and resolves
/// <c>$&lt;credentials.NAME&gt;</c> in every configuration value added before it.
/// </summary>
public class BrokerConfigurationSource : IConfigurationSource
{
    private readonly object _gate = new();
    private BrokerClient? _client;
    private BrokerConfigurationProvider? _current;

    /// <summary>Creates the source.</summary>
    /// <param name="options">The client's options (<see cref="BrokerClientOptions.Endpoint"/> and <see cref="BrokerClientOptions.ApiKey"/> required).</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public BrokerConfigurationSource(BrokerClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The options the client is created with.</summary>
    public BrokerClientOptions Options { get; }

    /// <summary>The client this source created (one per source, shared by every provider built from it), or null before the first build.</summary>
    public BrokerClient? Client => _client;

    /// <summary>Builds the provider; values of the sources before this one are read through a private root.</summary>
    /// <param name="builder">The configuration builder.</param>
    /// <returns>The provider.</returns>
    /// <exception cref="ArgumentException">The options lack an endpoint or key.</exception>
    public IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var sources = builder.Sources.ToList();
        var index = sources.IndexOf(this);
        var before = index >= 0 ? sources.Take(index).ToList() : sources.Where(s => !ReferenceEquals(s, this)).ToList();
        var preceding = new ConfigurationBuilder();
        foreach (var source in before)
        {
            preceding.Add(source);
        }

        lock (_gate)
        {
            _client ??= new BrokerClient(Options);
            _current = new BrokerConfigurationProvider(this, _client, preceding.Build());
            return _current;
        }
    }

    internal bool IsCurrent(BrokerConfigurationProvider provider)
    {
        lock (_gate)
        {
            return ReferenceEquals(_current, provider);
        }
    }
}
