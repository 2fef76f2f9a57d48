using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Broker.Client.Benchmarks;

/// <summary>
/// <see cref="BrokerClient.GetCredential"/> over 1,003 cached credentials against a bare <see cref="ConcurrentDictionary{TKey, TValue}"/>
/// lookup of the same names in the same run, with and without a metrics listener on the client's meter (what OpenTelemetry does).
/// </summary>
/// <remarks>
/// The looked-up name is a different string instance from the cached key, as it is when the key came off the wire.
/// Min and Median are shown beside the mean: on a shared machine the mean of a short run measures the neighbours.
/// </remarks>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class GetCredentialBenchmarks
{
    private const int Count = 1003;

    private BrokerClient _client = null!;
    private ConcurrentDictionary<string, string> _dictionary = null!;
    private MeterListener? _listener;
    private MeterProvider? _meterProvider;
    private string _name = null!;
    private long _measured;

    /// <summary>Who listens to the <c>Broker.Client</c> meter: nobody, a bare <see cref="MeterListener"/>, or the OpenTelemetry SDK (a process that exports metrics).</summary>
    [Params("none", "listener", "otel")]
    public string Metrics { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder("{\"cursor\":\"1\",\"credentials\":[");
        _dictionary = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
        {
            var name = i == Count / 2 ? "openai_key" : $"cred_{i:D4}";
            var value = $"sk-value-{i:D4}-0123456789abcdef";
            _dictionary[new string(name.AsSpan())] = value;
            sb.Append(i == 0 ? "" : ",").Append($"{{\"name\":\"{name}\",\"kind\":\"generic\",\"version\":1,\"value\":\"{value}\",\"updatedAt\":\"2025-01-01T00:00:00Z\"}}");
        }

        sb.Append("],\"removed\":[]}");
        _name = new string("openai_key".AsSpan());
        if (Metrics == "otel")
        {
            _meterProvider = Sdk.CreateMeterProviderBuilder()
                .AddMeter("Broker.Client")
                .AddReader(new PeriodicExportingMetricReader(new DiscardingExporter(), exportIntervalMilliseconds: 60_000))
                .Build();
        }
        else if (Metrics == "listener")
        {
            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == "Broker.Client")
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _measured, value));
            _listener.Start();
        }

        var handler = new StaticFeedHandler(sb.ToString());
        _client = new BrokerClient(new Uri("http://broker.invalid"), "brk_bench", new BrokerClientOptions { HttpMessageHandler = handler, LongPoll = false, PollInterval = TimeSpan.FromHours(1) });
        _client.StartAsync().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _listener?.Dispose();
        _meterProvider?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public string ConcurrentDictionaryLookup() => _dictionary.TryGetValue(_name, out var v) ? v : string.Empty;

    [Benchmark]
    public string GetCredential() => _client.GetCredential(_name).Value;

    [Benchmark]
    public bool TryGetCredential() => _client.TryGetCredential(_name, out _);

    private sealed class DiscardingExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }

    private sealed class StaticFeedHandler(string json) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
    }
}
