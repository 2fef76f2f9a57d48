using System.Globalization;

namespace Broker.Minting;

/// <summary>Character rules for values that end up in tokens, STS requests and logs.</summary>
internal static class TextRules
{
    /// <summary>1..<paramref name="maxLength"/> printable ASCII characters without spaces (<c>!</c>..<c>~</c>).</summary>
    public static bool IsPrintableAscii(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value) || value.Length > maxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// 1..<paramref name="maxLength"/> characters of free text: no control or format characters (which hide or reorder
    /// text in logs and UIs), no line or paragraph separators, no lone surrogates, not blank.
    /// </summary>
    public static bool IsSafeText(string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength)
        {
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }

                i++;
                continue;
            }

            if (char.IsLowSurrogate(c))
            {
                return false;
            }

            switch (char.GetUnicodeCategory(c))
            {
                case UnicodeCategory.Control:
                case UnicodeCategory.Format:
                case UnicodeCategory.LineSeparator:
                case UnicodeCategory.ParagraphSeparator:
                case UnicodeCategory.PrivateUse:
                case UnicodeCategory.OtherNotAssigned:
                    return false;
            }
        }

        return true;
    }

    /// <summary>An RFC 6749 §3.3 scope token: <c>%x21 / %x23-5B / %x5D-7E</c>, 1..<paramref name="maxLength"/>.</summary>
    public static bool IsScopeToken(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value) || value.Length > maxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '!' or > '~' or '"' or '\\')
            {
                return false;
            }
        }

        return true;
    }
}
