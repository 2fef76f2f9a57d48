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

    /// <summary>A scope's state as a sink may see it: key/value scopes stay key/value, anything else becomes scrubbed text.</summary>
    public static object? OfScope(object? scope) => scope switch
    {
        null => null,
        string text => SecretScrubber.Scrub(text),
        IEnumerable<KeyValuePair<string, object?>> pairs => new ScrubbedLogState(SecretScrubber.Scrub(scope.ToString() ?? string.Empty), pairs),
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
}
