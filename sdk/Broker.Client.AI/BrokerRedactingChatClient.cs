using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Broker.Client.AI;

/// <summary>
/// An <see cref="IChatClient"/> middleware that replaces every value a <see cref="BrokerClient"/> holds, or held since
/// it started (rotated-out values and per-user values the agent read included), with <c>[REDACTED:NAME]</c>: in the
/// messages and tool results going to the model, and in the model's answer coming back, streamed or not.
/// </summary>
/// <remarks>
/// Uses <see cref="BrokerClient.Redactor"/>. Streamed text is held back by at most the longest value's length less one
/// character, so a value split across updates is still caught; the rest comes out in one more update at the end.
/// The count of replacements goes to the counter <see cref="BrokerAITelemetry.RedactionsCounter"/>, never a value.
/// The caller's messages are never modified: a message that needs redaction is copied.
/// </remarks>
public class BrokerRedactingChatClient : DelegatingChatClient
{
    private readonly BrokerClient _client;

    /// <summary>Wraps <paramref name="innerClient"/>.</summary>
    /// <param name="innerClient">The client that talks to the model.</param>
    /// <param name="client">The broker client whose values are hidden.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public BrokerRedactingChatClient(IChatClient innerClient, BrokerClient client)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(RedactMessages(messages, "to_model"), options, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < response.Messages.Count; i++)
        {
            response.Messages[i] = RedactMessage(response.Messages[i], "from_model");
        }

        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var redactor = _client.Redactor;
        var text = new StreamingRedactor(redactor, "from_model");
        var reasoning = new StreamingRedactor(redactor, "from_model");
        ChatResponseUpdate? last = null;
        await foreach (var update in base.GetStreamingResponseAsync(RedactMessages(messages, "to_model"), options, cancellationToken).ConfigureAwait(false))
        {
            last = update;
            var contents = new List<AIContent>(update.Contents.Count);
            foreach (var content in update.Contents)
            {
                switch (content)
                {
                    case TextContent t:
                        var safe = text.Push(t.Text ?? string.Empty);
                        if (safe.Length > 0)
                        {
                            contents.Add(new TextContent(safe) { AdditionalProperties = t.AdditionalProperties, RawRepresentation = null });
                        }

                        break;
                    case TextReasoningContent r:
                        var safeReasoning = reasoning.Push(r.Text ?? string.Empty);
                        if (safeReasoning.Length > 0)
                        {
                            contents.Add(new TextReasoningContent(safeReasoning) { AdditionalProperties = r.AdditionalProperties });
                        }

                        break;
                    default:
                        contents.Add(RedactContent(content, "from_model"));
                        break;
                }
            }

            update.Contents = contents;
            update.RawRepresentation = null; // the provider's raw chunk holds the unredacted text
            yield return update;
        }

        var restText = text.Flush();
        var restReasoning = reasoning.Flush();
        if (restText.Length > 0 || restReasoning.Length > 0)
        {
            var tail = new List<AIContent>();
            if (restReasoning.Length > 0)
            {
                tail.Add(new TextReasoningContent(restReasoning));
            }

            if (restText.Length > 0)
            {
                tail.Add(new TextContent(restText));
            }

            yield return new ChatResponseUpdate(last?.Role ?? ChatRole.Assistant, tail)
            {
                ResponseId = last?.ResponseId,
                MessageId = last?.MessageId,
                ConversationId = last?.ConversationId,
                ModelId = last?.ModelId,
            };
        }
    }

    private IEnumerable<ChatMessage> RedactMessages(IEnumerable<ChatMessage> messages, string direction)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = new List<ChatMessage>();
        foreach (var message in messages)
        {
            list.Add(RedactMessage(message, direction));
        }

        return list;
    }

    private ChatMessage RedactMessage(ChatMessage message, string direction)
    {
        List<AIContent>? copy = null;
        for (var i = 0; i < message.Contents.Count; i++)
        {
            var original = message.Contents[i];
            var redacted = RedactContent(original, direction);
            if (!ReferenceEquals(redacted, original))
            {
                copy ??= new List<AIContent>(message.Contents);
                copy[i] = redacted;
            }
        }

        if (copy is null)
        {
            return message;
        }

        var clone = message.Clone();
        clone.Contents = copy;
        clone.RawRepresentation = null;
        return clone;
    }

    private AIContent RedactContent(AIContent content, string direction)
    {
        switch (content)
        {
            case TextContent t when t.Text is { Length: > 0 } s:
                var text = Redact(s, direction);
                return ReferenceEquals(text, s) ? t : new TextContent(text) { AdditionalProperties = t.AdditionalProperties };
            case TextReasoningContent r when r.Text is { Length: > 0 } s:
                var reasoning = Redact(s, direction);
                return ReferenceEquals(reasoning, s) ? r : new TextReasoningContent(reasoning) { AdditionalProperties = r.AdditionalProperties };
            case FunctionResultContent f:
                var result = RedactValue(f.Result, direction == "to_model" ? "tool_result" : direction, out var changed);
                return changed ? new FunctionResultContent(f.CallId, result) { Exception = f.Exception, AdditionalProperties = f.AdditionalProperties } : f;
            case FunctionCallContent c when c.Arguments is { Count: > 0 } args:
                Dictionary<string, object?>? redactedArgs = null;
                foreach (var (key, value) in args)
                {
                    var v = RedactValue(value, direction, out var argChanged);
                    if (argChanged)
                    {
                        redactedArgs ??= new Dictionary<string, object?>(args);
                        redactedArgs[key] = v;
                    }
                }

                return redactedArgs is null ? c : new FunctionCallContent(c.CallId, c.Name, redactedArgs) { AdditionalProperties = c.AdditionalProperties };
            default:
                return content;
        }
    }

    private object? RedactValue(object? value, string direction, out bool changed)
    {
        if (value is AIContent content)
        {
            var c = RedactContent(content, direction);
            changed = !ReferenceEquals(c, content);
            return c;
        }

        return JsonRedaction.RedactValue(_client.Redactor, value, direction, out changed);
    }

    private string Redact(string text, string direction) => JsonRedaction.Redact(_client.Redactor, text, direction);
}
