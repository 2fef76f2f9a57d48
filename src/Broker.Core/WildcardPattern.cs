namespace Broker.Core;

/// <summary>
/// <c>*</c>-only glob matching in O(pattern × text) worst case with no backtracking explosion and no
/// regular expression built from user input. Every other character matches itself (ordinal).
/// </summary>
public static class WildcardPattern
{
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (starP >= 0)
            {
                // Let the last star swallow one more character; earlier stars never need revisiting.
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    public static bool MatchesAny(IReadOnlyList<string> patterns, string text)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            if (IsMatch(patterns[i], text))
            {
                return true;
            }
        }

        return false;
    }
}
