using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace Broker.Client.AI.Benchmarks;

/// <summary>
/// A chat turn (a system prompt, a user message, a 1 KB tool result, a 200-character answer; or the answer streamed in
/// 20-character updates) through an in-memory model, with and without <c>UseBrokerRedaction</c> over a client holding
/// 1,000 values, none of which occurs in the text (the common case: every character is still scanned).
/// </summary>
[MemoryDiagnoser]
public class RedactionMiddlewareBenchmarks
{
    private static readonly string Answer = string.Concat(Enumerable.Repeat("The weather is fine. ", 10));

    private BrokerClient _broker = null!;
    private IChatClient _bare = null!;
    private IChatClient _redacted = null!;
    private List<ChatMessage> _messages = null!;

    [GlobalSetup]
    public void Setup()
    {
        _broker = BenchBroker.Start();
        var model = new CannedModel();
        _bare = model;
        _redacted = new ChatClientBuilder(model).UseBrokerRedaction(_broker).Build();
        _messages =
        [
            new(ChatRole.System, "You are a helpful assistant that answers briefly."),
            new(ChatRole.User, "What is the weather in Paris tomorrow, and should I take an umbrella?"),
            new(ChatRole.Tool, [new FunctionResultContent("call-1", string.Concat(Enumerable.Repeat("forecast: 18C, light wind, 10% rain; ", 28)))]),
        ];
    }

    [GlobalCleanup]
    public void Cleanup() => _broker.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> Bare() => _bare.GetResponseAsync(_messages);

    [Benchmark]
    public Task<ChatResponse> WithRedaction() => _redacted.GetResponseAsync(_messages);

    [Benchmark]
    public async Task<int> BareStreaming()
    {
        var n = 0;
        await foreach (var update in _bare.GetStreamingResponseAsync(_messages))
        {
            n += update.Text.Length;
        }

        return n;
    }

    [Benchmark]
    public async Task<int> WithRedactionStreaming()
    {
        var n = 0;
        await foreach (var update in _redacted.GetStreamingResponseAsync(_messages))
        {
            n += update.Text.Length;
        }

        return n;
    }

    private sealed class CannedModel : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer)));

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < Answer.Length; i += 20)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, Answer.Substring(i, Math.Min(20, Answer.Length - i)));
            }

            await Task.CompletedTask;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}
