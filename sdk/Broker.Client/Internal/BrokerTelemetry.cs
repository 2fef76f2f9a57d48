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
        CacheHits = _meter.CreateCounter<long>("broker.client.cache.hits", "{lookup}", "Credential lookups served from the cache.");
        CacheMisses = _meter.CreateCounter<long>("broker.client.cache.misses", "{lookup}", "Credential lookups of a name the cache does not hold.");
        Refreshes = _meter.CreateCounter<long>("broker.client.refreshes", "{refresh}", "Loads and refreshes the broker answered (304 included).");
        RefreshFailures = _meter.CreateCounter<long>("broker.client.refresh.failures", "{refresh}", "Loads and refreshes that failed.");
        _meter.CreateObservableGauge("broker.client.cache.age", () =>
        {
            var age = cacheAgeSeconds();
            return age is double a ? new[] { new Measurement<double>(a) } : Array.Empty<Measurement<double>>();
        }, "s", "Seconds since the broker last answered a load or refresh.");
    }

    public Counter<long> CacheHits { get; }

    public Counter<long> CacheMisses { get; }

    public Counter<long> Refreshes { get; }

    public Counter<long> RefreshFailures { get; }

    public void Dispose() => _meter.Dispose();
}
