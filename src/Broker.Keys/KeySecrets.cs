using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Keys;

/// <summary>Key format: <c>brk_</c> + 192 bits of CSPRNG randomness, base64url. Stored as SHA-256 only.</summary>
public static class KeySecrets
{
    public const string Scheme = "brk_";
    public const int PrefixLength = 12;
    public const int MaxPresentedLength = 256;
    private const int RandomBytes = 24;

    /// <summary>22 base64url characters carry 132 bits: the least a configured key may have.</summary>
    public const int MinConfiguredRandomChars = 22;

    /// <summary>Hex digits carry 4 bits each: 32 of them for 128 bits.</summary>
    public const int MinConfiguredHexChars = 32;

    /// <summary>Fewer distinct characters than this is not a random value (e.g. <c>brk_aaaa…</c>, <c>brk_abababab…</c>).</summary>
    public const int MinConfiguredDistinctChars = 8;

    public static string NewSecret()
    {
        Span<byte> random = stackalloc byte[RandomBytes];
        RandomNumberGenerator.Fill(random);
        return Scheme + Base64Url.EncodeToString(random);
    }

    public static string NewId()
    {
        Span<byte> random = stackalloc byte[12];
        RandomNumberGenerator.Fill(random);
        return "key_" + Convert.ToHexStringLower(random);
    }

    /// <summary>The first 12 characters: safe to show and log (48 of the 192 random bits).</summary>
    public static string PrefixOf(string secret) => secret[..Math.Min(PrefixLength, secret.Length)];

    /// <summary>Whether a presented value has the key's shape at all (cheap, before hashing).</summary>
    public static bool LooksLikeKey(ReadOnlySpan<char> presented) =>
        presented.Length is > 4 and <= MaxPresentedLength && presented.StartsWith(Scheme, StringComparison.Ordinal);

    /// <summary>
    /// Why a key given in configuration (<c>Broker:BootstrapAdminKey</c>) is unfit, or null when it is fit:
    /// <c>brk_</c> then only base64url characters, at least <see cref="MinConfiguredRandomChars"/> of them
    /// (<see cref="MinConfiguredHexChars"/> when they are all hex digits), with at least
    /// <see cref="MinConfiguredDistinctChars"/> distinct ones. The answer never quotes the value, not even in part.
    /// </summary>
    public static string? ProblemWithConfiguredKey(string? value, string setting)
    {
        const string Example = " Generate one, e.g. brk_$(openssl rand -hex 24).";
        if (string.IsNullOrEmpty(value) || !value.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return $"{setting} must start with '{Scheme}'." + Example;
        }

        if (value.Length > MaxPresentedLength)
        {
            return $"{setting} must be at most {MaxPresentedLength} characters long." + Example;
        }

        var random = value.AsSpan(Scheme.Length);
        var hexOnly = true;
        Span<bool> seen = stackalloc bool[128];
        var distinct = 0;
        foreach (var c in random)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return $"{setting} may hold only base64url characters (A-Z, a-z, 0-9, '-', '_') after '{Scheme}'; check for spaces, quotes or a trailing newline.";
            }

            hexOnly &= char.IsAsciiHexDigit(c);
            if (!seen[c])
            {
                seen[c] = true;
                distinct++;
            }
        }

        if (random.Length < MinConfiguredRandomChars || (hexOnly && random.Length < MinConfiguredHexChars))
        {
            return $"{setting} must carry at least 128 bits of randomness: '{Scheme}' and at least {MinConfiguredRandomChars} base64url characters, or {MinConfiguredHexChars} hex digits." + Example;
        }

        if (distinct < MinConfiguredDistinctChars)
        {
            return $"{setting} is too regular to be random (fewer than {MinConfiguredDistinctChars} distinct characters)." + Example;
        }

        return null;
    }

    public static byte[] Hash(ReadOnlySpan<char> secret)
    {
        var hash = new byte[32];
        Hash(secret, hash);
        return hash;
    }

    /// <summary>SHA-256 of the UTF-8 secret, without allocating for keys of usual length.</summary>
    public static void Hash(ReadOnlySpan<char> secret, Span<byte> destination)
    {
        Span<byte> utf8 = stackalloc byte[MaxPresentedLength * 3];
        var count = Encoding.UTF8.GetBytes(secret, utf8);
        SHA256.HashData(utf8[..count], destination);
        CryptographicOperations.ZeroMemory(utf8[..count]);
    }
}
