using System.Net;
using System.Text;

namespace Broker.Client.AI.Benchmarks;

/// <summary>A started <see cref="BrokerClient"/> holding 1,000 credentials from a canned feed (no network, no refresh during a run).</summary>
internal static class BenchBroker
{
    public const string OpenAIKey = "sk-value-0000-0123456789abcdef";

    public static BrokerClient Start()
    {
        var sb = new StringBuilder("{\"cursor\":\"1\",\"credentials\":[");
        for (var i = 0; i < 1000; i++)
        {
            var name = i == 0 ? "openai_key" : $"cred_{i:D4}";
            sb.Append(i == 0 ? "" : ",").Append($"{{\"name\":\"{name}\",\"kind\":\"generic\",\"version\":1,\"value\":\"sk-value-{i:D4}-0123456789abcdef\",\"updatedAt\":\"2025-01-01T00:00:00Z\"}}");
        }

        sb.Append("],\"removed\":[]}");
        var client = new BrokerClient(new Uri("http://broker.invalid"), "brk_bench", new BrokerClientOptions
        {
            HttpMessageHandler = new CannedHandler(sb.ToString()),
            LongPoll = false,
            PollInterval = TimeSpan.FromHours(1),
        });
        client.StartAsync().GetAwaiter().GetResult();
        return client;
    }

    /// <summary>Answers every request with the same JSON body, in memory.</summary>
    internal sealed class CannedHandler(string json) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
    }
}
