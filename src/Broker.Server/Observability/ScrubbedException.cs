namespace Broker.Server.Observability;

/// <summary>
/// What a log sink receives instead of an exception whose text (its message, an inner exception's message, or
/// anything else its <see cref="Exception.ToString"/> shows) held something <see cref="SecretScrubber"/> masks.
/// It keeps what a reader needs: the original type's name (<see cref="OriginalType"/>, and first in
/// <see cref="ToString"/> as the original would print it), the original stack trace, the inner exceptions
/// (scrubbed the same way) and the HResult; its message and text are the scrubbed ones, and its
/// <see cref="Exception.Data"/> is empty. An exception with nothing to mask reaches the sink as itself.
/// </summary>
public sealed class ScrubbedException : Exception
{
    private readonly string _text;
    private readonly string? _stackTrace;

    private ScrubbedException(Exception original, string scrubbedText)
        : base(SecretScrubber.Scrub(original.Message), For(original.InnerException))
    {
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
        _text = scrubbedText;
        _stackTrace = original.StackTrace;
        HResult = original.HResult;
        Source = original.Source;
    }

    /// <summary>The full name of the exception's type as it was thrown.</summary>
    public string OriginalType { get; }

    public override string? StackTrace => _stackTrace;

    public override string ToString() => _text;

    /// <summary>The exception itself when its text is clean; otherwise a scrubbed stand-in.</summary>
    internal static Exception? For(Exception? exception)
    {
        if (exception is null)
        {
            return null;
        }

        var text = exception.ToString();
        var scrubbed = SecretScrubber.Scrub(text);
        return string.Equals(text, scrubbed, StringComparison.Ordinal) && string.Equals(exception.Message, SecretScrubber.Scrub(exception.Message), StringComparison.Ordinal)
            ? exception
            : new ScrubbedException(exception, scrubbed);
    }
}
