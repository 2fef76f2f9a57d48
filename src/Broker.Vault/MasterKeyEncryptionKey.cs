using System.Security.Cryptography;

namespace Broker.Vault;

/// <summary>
/// A 256-bit master key from configuration (<c>Broker__MasterKey</c>, base64) wrapping data keys with
/// AES-256-GCM. The id is a fingerprint (HMAC of a constant under the key), so two replicas with the same
/// key agree on it and the id reveals nothing about the key.
/// </summary>
public sealed class MasterKeyEncryptionKey : IKeyEncryptionKey, IDisposable
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] WrapContext = "broker.vault.kek.v1"u8.ToArray();
    private readonly byte[] _key;

    public MasterKeyEncryptionKey(ReadOnlySpan<byte> masterKey)
    {
        if (masterKey.Length != 32)
        {
            throw new KeyEncryptionKeyException("The master key must be exactly 32 bytes (256 bits), base64-encoded.");
        }

        // An AesGcm instance is not safe for concurrent use (one native context): a new one per operation.
        _key = masterKey.ToArray();
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(masterKey, "broker.vault.kek.id"u8, mac);
        Id = "mk:" + Convert.ToHexStringLower(mac[..8]);
    }

    /// <summary>Parses a base64 master key; the message of a failure never echoes the input.</summary>
    public static MasterKeyEncryptionKey FromBase64(string value)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new KeyEncryptionKeyException("Broker:MasterKey is not valid base64; expected 32 random bytes, base64-encoded.");
        }

        try
        {
            return new MasterKeyEncryptionKey(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public string Id { get; }

    public byte[] Wrap(ReadOnlySpan<byte> dataKey)
    {
        var output = new byte[NonceSize + dataKey.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, dataKey, output.AsSpan(NonceSize, dataKey.Length), output.AsSpan(NonceSize + dataKey.Length), WrapContext);
        return output;
    }

    public byte[] Unwrap(ReadOnlySpan<byte> wrappedKey)
    {
        if (wrappedKey.Length <= NonceSize + TagSize)
        {
            throw new KeyEncryptionKeyException("A wrapped data key is malformed.");
        }

        var length = wrappedKey.Length - NonceSize - TagSize;
        var dataKey = new byte[length];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(wrappedKey[..NonceSize], wrappedKey.Slice(NonceSize, length), wrappedKey[(NonceSize + length)..], dataKey, WrapContext);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new KeyEncryptionKeyException("A data key cannot be unwrapped with the configured master key (wrong key-encryption key?).", ex);
        }

        return dataKey;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
