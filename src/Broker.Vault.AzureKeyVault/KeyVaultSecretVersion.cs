using System.Security.Cryptography;

namespace Broker.Vault.AzureKeyVault;

/// <summary>
/// One version of the Key Vault secret used as a key-encryption key: the master-key wrap under the id
/// <c>akv:{secret}/{version}</c>, so every stored data key names the version that wrapped it.
/// </summary>
internal sealed class KeyVaultSecretVersion : IKeyEncryptionKey, IDisposable
{
    private readonly MasterKeyEncryptionKey _key;

    private KeyVaultSecretVersion(string id, MasterKeyEncryptionKey key) => (Id, _key) = (id, key);

    public string Id { get; }

    /// <exception cref="KeyEncryptionKeyException">The secret's value is not 32 bytes in base64 (the message never echoes it).</exception>
    public static KeyVaultSecretVersion From(string secretName, string version, string value)
    {
        var bytes = new byte[64];
        try
        {
            if (!Convert.TryFromBase64String(value.Trim(), bytes, out var written) || written != 32)
            {
                throw new KeyEncryptionKeyException($"Key Vault secret '{secretName}' (version {version}) is not a key-encryption key: it must hold 32 random bytes, base64-encoded.");
            }

            return new KeyVaultSecretVersion(AzureKeyVaultKeyEncryptionKey.IdFor(secretName, version), new MasterKeyEncryptionKey(bytes.AsSpan(0, 32)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public byte[] Wrap(ReadOnlySpan<byte> dataKey) => _key.Wrap(dataKey);

    public byte[] Unwrap(ReadOnlySpan<byte> wrappedKey)
    {
        try
        {
            return _key.Unwrap(wrappedKey);
        }
        catch (KeyEncryptionKeyException ex)
        {
            throw new KeyEncryptionKeyException($"A data key cannot be unwrapped with Key Vault key-encryption key {Id} (wrong secret?).", ex);
        }
    }

    public void Dispose() => _key.Dispose();
}
