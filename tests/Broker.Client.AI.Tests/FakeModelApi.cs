using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Broker.Client.AI.Tests;

/// <summary>
/// A local stand-in for a model provider on Kestrel: OpenAI's <c>POST /v1/chat/completions</c> (key in
/// <c>Authorization: Bearer</c>) and Anthropic's <c>POST /v1/messages</c> (key in <c>x-api-key</c>). A request is
/// answered only when its key is one the provider accepts now (<see cref="Allow"/>, <see cref="Revoke"/>), as a provider
/// does during a key rotation: the new key works before the old one is revoked.
/// </summary>
public sealed class FakeModelApi : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, byte> _valid = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _used = new(StringComparer.Ordinal);
    private WebApplication _app = null!;
    private int _rejected;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The OpenAI client's endpoint (it appends <c>chat/completions</c>).</summary>
    public Uri OpenAIEndpoint => new(BaseAddress, "v1/");

    public int Rejected => Volatile.Read(ref _rejected);

    public static async Task<FakeModelApi> StartAsync()
    {
        var api = new FakeModelApi();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        api._app = builder.Build();
        api._app.MapPost("/v1/chat/completions", (HttpContext http) =>
        {
            var header = http.Request.Headers.Authorization.ToString();
            var key = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : string.Empty;
            return api.Check(key)
                ? Results.Text("""{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-test","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""", "application/json")
                : Results.Text("""{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}""", "application/json", statusCode: 401);
        });
        api._app.MapPost("/v1/messages", (HttpContext http) =>
            api.Check(http.Request.Headers["x-api-key"].ToString())
                ? Results.Text("""{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}""", "application/json")
                : Results.Text("""{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}""", "application/json", statusCode: 401));
        await api._app.StartAsync();
        BaseAddressOf(api);
        return api;
    }

    public void Allow(string key) => _valid[key] = 0;

    public void Revoke(string key) => _valid.TryRemove(key, out _);

    /// <summary>How many accepted requests carried <paramref name="key"/>.</summary>
    public int UsesOf(string key) => _used.GetValueOrDefault(key);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static void BaseAddressOf(FakeModelApi api)
        => api.BaseAddress = new Uri(api._app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");

    private bool Check(string key)
    {
        if (key.Length > 0 && _valid.ContainsKey(key))
        {
            _used.AddOrUpdate(key, 1, (_, n) => n + 1);
            return true;
        }

        Interlocked.Increment(ref _rejected);
        return false;
    }
}
