using System.Text;

namespace Broker.Client.Internal;

/// <summary>Finds and replaces <c>$&lt;credentials.NAME&gt;</c> in one left-to-right scan.</summary>
/// <remarks>
/// Only a well-formed placeholder counts: NAME matches <c>^[a-z0-9][a-z0-9_.-]{0,127}$</c> and is
/// followed by <c>&gt;</c>. Anything else is literal text. There is no escape syntax, and text that a
/// replacement brings in is never scanned again.
/// </remarks>
internal static class Placeholders
{
    public const string Prefix = "$<credentials.";

    public static bool ContainsPlaceholder(string text) => text.Contains(Prefix, StringComparison.Ordinal);

    /// <summary>Resolves <paramref name="text"/>; on an unknown name returns false with that name and nothing partial.</summary>
    public static bool TryResolve(string text, IReadOnlyDictionary<string, BrokerCredential> credentials, out string result, out string? missingName)
    {
        missingName = null;
        var at = text.IndexOf(Prefix, StringComparison.Ordinal);
        if (at < 0)
        {
            result = text;
            return true;
        }

        StringBuilder? sb = null;
        var copied = 0;
        while (at >= 0)
        {
            var nameStart = at + Prefix.Length;
            var nameEnd = ScanName(text, nameStart);
            if (nameEnd > nameStart && nameEnd < text.Length && text[nameEnd] == '>')
            {
                var name = text.Substring(nameStart, nameEnd - nameStart);
                if (!credentials.TryGetValue(name, out var credential))
                {
                    result = string.Empty;
                    missingName = name;
                    return false;
                }

                sb ??= new StringBuilder(text.Length + 64);
                sb.Append(text, copied, at - copied).Append(credential.Value);
                copied = nameEnd + 1;
                at = text.IndexOf(Prefix, copied, StringComparison.Ordinal);
            }
            else
            {
                at = text.IndexOf(Prefix, at + 1, StringComparison.Ordinal);
            }
        }

        if (sb is null)
        {
            result = text;
            return true;
        }

        sb.Append(text, copied, text.Length - copied);
        result = sb.ToString();
        return true;
    }

    private static int ScanName(string text, int start)
    {
        var i = start;
        if (i >= text.Length || !IsLeadChar(text[i]))
        {
            return start;
        }

        i++;
        while (i < text.Length && i - start < 128 && IsNameChar(text[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsLeadChar(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');

    private static bool IsNameChar(char c) => IsLeadChar(c) || c is '_' or '.' or '-';
}
