using System.Collections;
using System.Globalization;

namespace Broker.Server.Observability;

/// <summary>
/// The state a sink receives from <see cref="ScrubbingLoggerProvider"/>: the scrubbed rendered message and the
/// key/value pairs of the original state with every text value scrubbed. Numbers, booleans, dates, ids and enums
/// keep their type (they cannot hold a secret); anything else becomes its scrubbed text.
/// </summary>
internal sealed class ScrubbedLogState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private static readonly KeyValuePair<string, object?>[] None = [];

    private readonly KeyValuePair<string, object?>[] _pairs;

    public ScrubbedLogState(string message, IEnumerable<KeyValuePair<string, object?>>? pairs)
    {
        Message = message;
        _pairs = pairs is null ? None : pairs.Select(p => new KeyValuePair<string, object?>(p.Key, ScrubValue(p.Value))).ToArray();
    }

    public string Message { get; }

    public int Count => _pairs.Length;

    public KeyValuePair<string, object?> this[int index] => _pairs[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_pairs).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Message;

    /// <summary>
    /// A scope's state as a sink may see it: key/value scopes stay key/value (scrubbed when a sink first reads them:
    /// every request opens the host's scope, and most requests log nothing), anything else becomes scrubbed text.
    /// </summary>
    public static object? OfScope(object? scope) => scope switch
    {
        null => null,
        string text => SecretScrubber.Scrub(text),
        ScrubbedLogState or LazyScope => scope,
        IEnumerable<KeyValuePair<string, object?>> pairs => new LazyScope(pairs),
        _ => SecretScrubber.Scrub(Convert.ToString(scope, CultureInfo.InvariantCulture) ?? string.Empty),
    };

    private static object? ScrubValue(object? value) => value switch
    {
        null => null,
        string text => SecretScrubber.Scrub(text),
        bool or char or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal => value,
        DateTime or DateTimeOffset or TimeSpan or Guid or Enum => value,
        IEnumerable items => SecretScrubber.Scrub(string.Join(", ", items.Cast<object?>().Select(i => Convert.ToString(i, CultureInfo.InvariantCulture) ?? "(null)"))),
        _ => SecretScrubber.Scrub(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty),
    };

    /// <summary>A key/value scope scrubbed on first read, once, whichever sink reads it first.</summary>
    private sealed class LazyScope(IEnumerable<KeyValuePair<string, object?>> original) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private ScrubbedLogState? _scrubbed;

        private ScrubbedLogState Scrubbed => LazyInitializer.EnsureInitialized(
            ref _scrubbed, () => new ScrubbedLogState(SecretScrubber.Scrub(original.ToString() ?? string.Empty), original));

        public int Count => Scrubbed.Count;

        public KeyValuePair<string, object?> this[int index] => Scrubbed[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => Scrubbed.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Scrubbed.Message;
    }
}
