using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Broker.Client.AI.Tests;

/// <summary>A model stand-in: records what it was sent, answers with the given text or streamed pieces.</summary>
public sealed class RecordingChatClient : IChatClient
{
    public List<ChatMessage> Received { get; } = new();

    public string Answer { get; set; } = "ok";

    public IReadOnlyList<string> Pieces { get; set; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Received.AddRange(messages);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer)));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Received.AddRange(messages);
        foreach (var piece in Pieces)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ResponseId = "r1", MessageId = "m1" };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
