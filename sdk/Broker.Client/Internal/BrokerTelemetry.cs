using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Broker.Client.Internal;

/// <summary>The client's spans and metrics, both named <c>Broker.Client</c>.</summary>
internal sealed class BrokerTelemetry : IDisposable
{
    public const string Name = "Broker.Client";

    public static readonly ActivitySource ActivitySource = new(Name, typeof(BrokerTelemetry).Assembly.GetName().Version?.ToString());

    private readonly Meter _meter;

    public BrokerTelemetry(Func<double?> cacheAgeSeconds)
    {
        _meter = new Meter(Name, typeof(BrokerTelemetry).Assembly.GetName().Version?.ToString());

        // Cache lookups are counted on the read path, which must cost no more than a dictionary lookup: observable
        // counters over striped cells move the listeners' work to collection time.
        _meter.CreateObservableCounter("broker.client.cache.hits", CacheHits.Sum, "{lookup}", "Credential lookups served from the cache.");
        _meter.CreateObservableCounter("broker.client.cache.misses", CacheMisses.Sum, "{lookup}", "Credential lookups of a name the cache does not hold.");
        Refreshes = _meter.CreateCounter<long>("broker.client.refreshes", "{refresh}", "Loads and refreshes the broker answered (304 included).");
        RefreshFailures = _meter.CreateCounter<long>("broker.client.refresh.failures", "{refresh}", "Loads and refreshes that failed.");
        _meter.CreateObservableGauge("broker.client.cache.age", () =>
        {
            var age = cacheAgeSeconds();
            return age is double a ? new[] { new Measurement<double>(a) } : Array.Empty<Measurement<double>>();
        }, "s", "Seconds since the broker last answered a load or refresh.");
    }

    /// <summary>This client's meter (every client has its own, all named <c>Broker.Client</c>).</summary>
    public Meter Meter => _meter;

    public StripedCounter CacheHits { get; } = StripedCounter.Create();

    public StripedCounter CacheMisses { get; } = StripedCounter.Create();

    public Counter<long> Refreshes { get; }

    public Counter<long> RefreshFailures { get; }

    public void Dispose() => _meter.Dispose();
}
