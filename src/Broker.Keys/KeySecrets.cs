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
