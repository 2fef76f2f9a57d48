using Broker.Client.Internal;

namespace Broker.Client;

/// <summary>
/// Replaces every secret value a <see cref="BrokerClient"/> holds, or held since it started, with
/// <c>[REDACTED:NAME]</c>, in one pass over the text whatever the number of values (an Aho–Corasick automaton).
/// </summary>
/// <remarks>
/// The longest match wins; overlapping matches are merged so that no fragment of a value survives.
/// Values shorter than <see cref="MinimumLength"/> are left alone. Thread-safe: the automaton is
/// immutable and swapped whole when a value is learnt.
/// </remarks>
public class SecretRedactor
{
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private int _minimumLength = 8;
    private volatile AhoCorasickAutomaton _automaton = AhoCorasickAutomaton.Empty;
    private volatile int _longestLength;

    /// <summary>Creates a redactor that knows no values yet; <see cref="BrokerClient.Redactor"/> is the one kept up to date.</summary>
    public SecretRedactor()
    {
    }

    /// <summary>Values shorter than this (in UTF-16 characters) are not redacted. Default 8.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MinimumLength
    {
        get => _minimumLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (_gate)
            {
                _minimumLength = value;
                Rebuild();
            }
        }
    }

    /// <summary>How many distinct values the redactor remembers (of any length).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _values.Count;
            }
        }
    }

    /// <summary>
    /// The length (in UTF-16 characters) of the longest value redacted now; 0 when none. A stream that holds back this
    /// many characters less one never lets part of a value through before it can be recognised whole.
    /// </summary>
    public int LongestValueLength => _longestLength;

    /// <summary>Returns <paramref name="text"/> with every known value replaced by <c>[REDACTED:NAME]</c>.</summary>
    /// <param name="text">The text to clean; null gives an empty string.</param>
    /// <returns>The redacted text (the same instance when nothing matched).</returns>
    public virtual string Redact(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        return _automaton.Replace(text);
    }

    /// <summary>Teaches the redactor a value to hide under <paramref name="name"/>.</summary>
    /// <param name="name">The credential's name, shown in the replacement.</param>
    /// <param name="value">The secret value.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public void Add(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            if (_values.TryAdd(value, name) && value.Length >= _minimumLength)
            {
                Rebuild();
            }
        }
    }

    internal void AddRange(IEnumerable<BrokerCredential> credentials)
    {
        lock (_gate)
        {
            var changed = false;
            foreach (var c in credentials)
            {
                changed |= _values.TryAdd(c.Value, c.Name) && c.Value.Length >= _minimumLength;
            }

            if (changed)
            {
                Rebuild();
            }
        }
    }

    private void Rebuild()
    {
        var min = _minimumLength;
        _longestLength = _values.Keys.Where(v => v.Length >= min).Select(v => v.Length).DefaultIfEmpty(0).Max();
        _automaton = AhoCorasickAutomaton.Build(_values.Where(kv => kv.Key.Length >= min).Select(kv => KeyValuePair.Create(kv.Key, $"[REDACTED:{kv.Value}]")));
    }
}
