using System.Collections.Concurrent;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;

namespace Broker.Client.Benchmarks;

/// <summary>Placeholder resolution against the floor of a bare ConcurrentDictionary lookup (1,000 credentials); cached reads are in <see cref="GetCredentialBenchmarks"/>.</summary>
[MemoryDiagnoser]
public class CacheBenchmarks
{
    private BrokerClient _client = null!;
    private ConcurrentDictionary<string, string> _dictionary = null!;

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder("{\"cursor\":\"1\",\"credentials\":[");
        _dictionary = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 1000; i++)
        {
            var name = i == 0 ? "openai_key" : $"cred_{i:D4}";
            var value = $"sk-value-{i:D4}-0123456789abcdef";
            _dictionary[name] = value;
            sb.Append(i == 0 ? "" : ",").Append($"{{\"name\":\"{name}\",\"kind\":\"generic\",\"version\":1,\"value\":\"{value}\",\"updatedAt\":\"2025-01-01T00:00:00Z\"}}");
        }

        sb.Append("],\"removed\":[]}");
        var handler = new StaticFeedHandler(sb.ToString());
        _client = new BrokerClient(new Uri("http://broker.invalid"), "brk_bench", new BrokerClientOptions { HttpMessageHandler = handler, LongPoll = false, PollInterval = TimeSpan.FromHours(1) });
        _client.StartAsync().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _client.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public string ConcurrentDictionaryLookup() => _dictionary.TryGetValue("openai_key", out var v) ? v : string.Empty;

    [Benchmark]
    public string ResolveOnePlaceholder() => _client.Resolve("Bearer $<credentials.openai_key>");

    private sealed class StaticFeedHandler(string json) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
    }
}
