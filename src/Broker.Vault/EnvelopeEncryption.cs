using System.Security.Cryptography;

namespace Broker.Vault;

/// <summary>
/// Envelope encryption: every value gets a fresh random 256-bit data key, AES-256-GCM with associated data;
/// the data key is stored only wrapped by the key-encryption key.
/// </summary>
public sealed class EnvelopeEncryption(IKeyEncryptionKey kek)
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public IKeyEncryptionKey KeyEncryptionKey { get; } = kek;

    public SealedValue Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> dataKey = stackalloc byte[KeySize];
        RandomNumberGenerator.Fill(dataKey);
        try
        {
            var output = new byte[NonceSize + plaintext.Length + TagSize];
            var nonce = output.AsSpan(0, NonceSize);
            RandomNumberGenerator.Fill(nonce);
            using (var aes = new AesGcm(dataKey, TagSize))
            {
                aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), associatedData);
            }

            return new SealedValue(output, KeyEncryptionKey.Wrap(dataKey), KeyEncryptionKey.Id);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Decrypts a sealed value.</summary>
    /// <exception cref="KeyEncryptionKeyException">The data key cannot be unwrapped by this KEK.</exception>
    /// <exception cref="CryptographicException">The ciphertext, nonce, tag or associated data was altered.</exception>
    public byte[] Open(SealedValue value, ReadOnlySpan<byte> associatedData)
    {
        if (value.KekId != KeyEncryptionKey.Id)
        {
            throw new KeyEncryptionKeyException($"A value is wrapped by key-encryption key '{value.KekId}', but the broker is configured with '{KeyEncryptionKey.Id}'.");
        }

        var blob = value.Ciphertext;
        if (blob.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("A sealed value is malformed.");
        }

        var dataKey = KeyEncryptionKey.Unwrap(value.WrappedKey);
        try
        {
            if (dataKey.Length != KeySize)
            {
                throw new CryptographicException("A data key has the wrong size.");
            }

            var length = blob.Length - NonceSize - TagSize;
            var plaintext = new byte[length];
            using var aes = new AesGcm(dataKey, TagSize);
            aes.Decrypt(blob.AsSpan(0, NonceSize), blob.AsSpan(NonceSize, length), blob.AsSpan(NonceSize + length), plaintext, associatedData);
            return plaintext;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// Re-wraps a data key from <paramref name="from"/> to this instance's KEK without touching the value's ciphertext.
    /// </summary>
    public byte[] Rewrap(IKeyEncryptionKey from, ReadOnlySpan<byte> wrappedKey)
    {
        var dataKey = from.Unwrap(wrappedKey);
        try
        {
            return KeyEncryptionKey.Wrap(dataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }
}
