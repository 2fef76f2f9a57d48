using System.Buffers;
using System.Text;

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
    private volatile Automaton _automaton = Automaton.Empty;

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

    /// <summary>Returns <paramref name="text"/> with every known value replaced by <c>[REDACTED:NAME]</c>.</summary>
    /// <param name="text">The text to clean; null gives an empty string.</param>
    /// <returns>The redacted text (the same instance when nothing matched).</returns>
    public virtual string Redact(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        return _automaton.Redact(text);
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
        _automaton = Automaton.Build(_values.Where(kv => kv.Key.Length >= min));
    }

    /// <summary>An immutable Aho–Corasick automaton over UTF-16 code units.</summary>
    private sealed class Automaton
    {
        public static readonly Automaton Empty = new();

        private readonly int[] _rootNext;     // dense goto of the root (65536 entries), 0 = stay at root
        private readonly int[] _edgeStart;    // CSR: edges of node n are [_edgeStart[n], _edgeStart[n+1])
        private readonly char[] _edgeChar;    // sorted per node
        private readonly int[] _edgeTarget;
        private readonly int[] _fail;
        private readonly int[] _output;       // the node itself when terminal, else the nearest terminal on the fail chain; 0 = none
        private readonly int[] _nextOutput;   // the next terminal on the fail chain below a terminal node
        private readonly int[] _depth;
        private readonly string[] _label;     // "[REDACTED:NAME]" of terminal nodes

        private Automaton()
        {
            _rootNext = Array.Empty<int>();
            _edgeStart = _edgeTarget = _fail = _output = _nextOutput = _depth = Array.Empty<int>();
            _edgeChar = Array.Empty<char>();
            _label = Array.Empty<string>();
        }

        private Automaton(int[] rootNext, int[] edgeStart, char[] edgeChar, int[] edgeTarget, int[] fail, int[] output, int[] nextOutput, int[] depth, string[] label)
        {
            _rootNext = rootNext;
            _edgeStart = edgeStart;
            _edgeChar = edgeChar;
            _edgeTarget = edgeTarget;
            _fail = fail;
            _output = output;
            _nextOutput = nextOutput;
            _depth = depth;
            _label = label;
        }

        public static Automaton Build(IEnumerable<KeyValuePair<string, string>> values)
        {
            var children = new List<Dictionary<char, int>> { new() };
            var depth = new List<int> { 0 };
            var label = new List<string?> { null };
            foreach (var (value, name) in values)
            {
                var node = 0;
                foreach (var ch in value)
                {
                    if (!children[node].TryGetValue(ch, out var next))
                    {
                        next = children.Count;
                        children.Add(new Dictionary<char, int>());
                        depth.Add(depth[node] + 1);
                        label.Add(null);
                        children[node][ch] = next;
                    }

                    node = next;
                }

                label[node] ??= $"[REDACTED:{name}]";
            }

            if (children.Count == 1)
            {
                return Empty;
            }

            var n = children.Count;
            var edgeStart = new int[n + 1];
            var total = 0;
            for (var i = 0; i < n; i++)
            {
                edgeStart[i] = total;
                total += i == 0 ? 0 : children[i].Count;
            }

            edgeStart[n] = total;
            var edgeChar = new char[total];
            var edgeTarget = new int[total];
            for (var i = 1; i < n; i++)
            {
                var k = edgeStart[i];
                foreach (var kv in children[i].OrderBy(kv => kv.Key))
                {
                    edgeChar[k] = kv.Key;
                    edgeTarget[k] = kv.Value;
                    k++;
                }
            }

            var rootNext = new int[char.MaxValue + 1];
            foreach (var kv in children[0])
            {
                rootNext[kv.Key] = kv.Value;
            }

            var fail = new int[n];
            var output = new int[n];
            var nextOutput = new int[n];
            var queue = new Queue<int>();
            foreach (var child in children[0].Values)
            {
                queue.Enqueue(child);
            }

            while (queue.Count > 0)
            {
                var u = queue.Dequeue();
                var failOutput = output[fail[u]];
                output[u] = label[u] is not null ? u : failOutput;
                nextOutput[u] = failOutput;
                foreach (var (ch, v) in children[u])
                {
                    var f = fail[u];
                    int target;
                    while (true)
                    {
                        if (f == 0)
                        {
                            target = rootNext[ch];
                            break;
                        }

                        if (children[f].TryGetValue(ch, out target))
                        {
                            break;
                        }

                        f = fail[f];
                    }

                    fail[v] = target == v ? 0 : target;
                    queue.Enqueue(v);
                }
            }

            return new Automaton(rootNext, edgeStart, edgeChar, edgeTarget, fail, output, nextOutput, depth.ToArray(), label.Select(l => l ?? string.Empty).ToArray());
        }

        public string Redact(string text)
        {
            if (_rootNext.Length == 0)
            {
                return text;
            }

            int[]? best = null; // best[start] = terminal node of the longest match starting there
            var first = int.MaxValue;
            var state = 0;
            var rootNext = _rootNext;
            for (var i = 0; i < text.Length; i++)
            {
                var ch = text[i];
                while (true)
                {
                    if (state == 0)
                    {
                        state = rootNext[ch];
                        break;
                    }

                    var next = Step(state, ch);
                    if (next != 0)
                    {
                        state = next;
                        break;
                    }

                    state = _fail[state];
                }

                for (var o = _output[state]; o != 0; o = _nextOutput[o])
                {
                    if (best is null)
                    {
                        best = ArrayPool<int>.Shared.Rent(text.Length);
                        Array.Clear(best, 0, text.Length);
                    }

                    var start = i - _depth[o] + 1;
                    if (best[start] == 0 || _depth[best[start]] < _depth[o])
                    {
                        best[start] = o;
                    }

                    first = Math.Min(first, start);
                }
            }

            if (best is null)
            {
                return text;
            }

            try
            {
                var sb = new StringBuilder(text.Length);
                sb.Append(text, 0, first);
                var pos = first;
                while (pos < text.Length)
                {
                    var node = best[pos];
                    if (node == 0)
                    {
                        var runEnd = pos + 1;
                        while (runEnd < text.Length && best[runEnd] == 0)
                        {
                            runEnd++;
                        }

                        sb.Append(text, pos, runEnd - pos);
                        pos = runEnd;
                        continue;
                    }

                    // Merge every match that starts inside the span so no fragment of a value leaks.
                    var end = pos + _depth[node];
                    for (var j = pos + 1; j < end; j++)
                    {
                        if (best[j] != 0)
                        {
                            end = Math.Max(end, j + _depth[best[j]]);
                        }
                    }

                    sb.Append(_label[node]);
                    pos = end;
                }

                return sb.ToString();
            }
            finally
            {
                ArrayPool<int>.Shared.Return(best);
            }
        }

        private int Step(int state, char ch)
        {
            var lo = _edgeStart[state];
            var hi = _edgeStart[state + 1] - 1;
            var chars = _edgeChar;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                var c = chars[mid];
                if (c == ch)
                {
                    return _edgeTarget[mid];
                }

                if (c < ch)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return 0;
        }
    }
}
