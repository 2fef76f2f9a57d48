using System.Buffers;
using System.Text;

namespace Broker.Client.Internal;

/// <summary>
/// An immutable Aho–Corasick automaton over UTF-16 code units: replaces every occurrence of any of its patterns
/// in one pass over the text, whatever their number.
/// </summary>
/// <remarks>
/// The longest match starting at a position wins; matches that overlap are merged into one replacement (the
/// first one's) so that no fragment of a pattern survives. Immutable, so any number of threads may use one.
/// </remarks>
internal sealed class AhoCorasickAutomaton
{
    public static readonly AhoCorasickAutomaton Empty = new();

    private readonly int[] _rootNext;     // dense goto of the root (65536 entries), 0 = stay at root
    private readonly int[] _edgeStart;    // CSR: edges of node n are [_edgeStart[n], _edgeStart[n+1])
    private readonly char[] _edgeChar;    // sorted per node
    private readonly int[] _edgeTarget;
    private readonly int[] _fail;
    private readonly int[] _output;       // the node itself when terminal, else the nearest terminal on the fail chain; 0 = none
    private readonly int[] _nextOutput;   // the next terminal on the fail chain below a terminal node
    private readonly int[] _depth;
    private readonly string[] _label;     // the replacement of terminal nodes

    private AhoCorasickAutomaton()
    {
        _rootNext = Array.Empty<int>();
        _edgeStart = _edgeTarget = _fail = _output = _nextOutput = _depth = Array.Empty<int>();
        _edgeChar = Array.Empty<char>();
        _label = Array.Empty<string>();
    }

    private AhoCorasickAutomaton(int[] rootNext, int[] edgeStart, char[] edgeChar, int[] edgeTarget, int[] fail, int[] output, int[] nextOutput, int[] depth, string[] label)
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

    /// <summary>Builds the automaton.</summary>
    /// <param name="patterns">Each pattern (key) with its replacement (value); the first replacement given for a pattern is kept.</param>
    public static AhoCorasickAutomaton Build(IEnumerable<KeyValuePair<string, string>> patterns)
    {
        var children = new List<Dictionary<char, int>> { new() };
        var depth = new List<int> { 0 };
        var label = new List<string?> { null };
        foreach (var (pattern, replacement) in patterns)
        {
            var node = 0;
            foreach (var ch in pattern)
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

            label[node] ??= replacement;
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

        return new AhoCorasickAutomaton(rootNext, edgeStart, edgeChar, edgeTarget, fail, output, nextOutput, depth.ToArray(), label.Select(l => l ?? string.Empty).ToArray());
    }

    /// <summary>Returns <paramref name="text"/> with every match replaced; the same instance when nothing matched.</summary>
    public string Replace(string text)
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
