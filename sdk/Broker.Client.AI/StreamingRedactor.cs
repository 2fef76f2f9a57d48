using System.Text;

namespace Broker.Client.AI;

/// <summary>
/// Redacts text that arrives in pieces (a model's streamed deltas), so that a value split across pieces is still
/// recognised: it holds back a tail of at most the longest value's length less one character, and never lets out a
/// prefix that ends inside a value.
/// </summary>
/// <remarks>Not thread-safe: one per stream.</remarks>
internal sealed class StreamingRedactor(SecretRedactor redactor, string direction)
{
    private readonly StringBuilder _pending = new();

    /// <summary>Takes the next piece; returns the redacted text that is safe to let out now (maybe empty).</summary>
    public string Push(string piece)
    {
        if (piece.Length == 0)
        {
            return string.Empty;
        }

        _pending.Append(piece);
        var text = _pending.ToString();
        var holdBack = Math.Max(redactor.LongestValueLength - 1, 0);
        var cut = text.Length - holdBack;
        if (cut <= 0)
        {
            return string.Empty;
        }

        var redacted = redactor.Redact(text);
        if (ReferenceEquals(redacted, text))
        {
            // Nothing matched in the whole buffer: any value still to come starts inside the held-back tail.
            return Emit(text, cut, text[..cut]);
        }

        // A value that is complete in the buffer may straddle the cut: move the cut back until the parts redact to
        // the same text as the whole (a straddled value would show as raw fragments in the parts).
        for (; cut > 0; cut--)
        {
            var head = redactor.Redact(text[..cut]);
            if (redacted.Length >= head.Length && string.CompareOrdinal(redacted, 0, head, 0, head.Length) == 0
                && redacted.AsSpan(head.Length).SequenceEqual(redactor.Redact(text[cut..])))
            {
                BrokerAITelemetry.CountRedactions(text[..cut], head, direction);
                return Emit(text, cut, head);
            }
        }

        return string.Empty;
    }

    /// <summary>Ends the stream: returns the redacted remainder.</summary>
    public string Flush()
    {
        var text = _pending.ToString();
        _pending.Clear();
        var redacted = redactor.Redact(text);
        BrokerAITelemetry.CountRedactions(text, redacted, direction);
        return redacted;
    }

    private string Emit(string text, int cut, string output)
    {
        _pending.Clear();
        _pending.Append(text, cut, text.Length - cut);
        return output;
    }
}
