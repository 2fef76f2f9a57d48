using System.Security.Cryptography;
using System.Text;

namespace Broker.Audit;

/// <summary>A fixed value-HMAC key: given directly, from base64 configuration, or derived (HKDF-SHA256) from another secret.</summary>
public sealed class StaticValueHmacKeySource : IValueHmacKeySource
{
    public const int MinKeyBytes = 32;

    private static readonly byte[] DerivationInfo = Encoding.UTF8.GetBytes("broker.audit.value-hmac.v1");

    private readonly byte[] _key;

    public StaticValueHmacKeySource(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinKeyBytes)
        {
            throw new ArgumentException($"The value-HMAC key must be at least {MinKeyBytes} bytes.", nameof(key));
        }

        _key = key.ToArray();
    }

    /// <exception cref="FormatException">The text is not base64 or decodes to fewer than 32 bytes (the message never quotes it).</exception>
    public static StaticValueHmacKeySource FromBase64(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new FormatException("The value-HMAC key is not valid base64.");
        }

        try
        {
            return key.Length >= MinKeyBytes
                ? new StaticValueHmacKeySource(key)
                : throw new FormatException($"The value-HMAC key must decode to at least {MinKeyBytes} bytes.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Derives a dedicated key from another secret (e.g. the master key) so the secret itself never keys an HMAC that is stored.</summary>
    public static StaticValueHmacKeySource DeriveFrom(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < 16)
        {
            throw new ArgumentException("The secret to derive the value-HMAC key from is too short.", nameof(secret));
        }

        Span<byte> key = stackalloc byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, key, salt: [], info: DerivationInfo);
        try
        {
            return new StaticValueHmacKeySource(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public ReadOnlySpan<byte> GetKey() => _key;
}
