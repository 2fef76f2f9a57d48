using System.Security.Cryptography;

namespace Broker.Vault;

/// <summary>
/// Proves that the configured key-encryption key opens what the store holds: on first start it seals a
/// canary; later starts must open it. A wrong or missing KEK fails here with a clear message, never later
/// with garbage.
/// </summary>
public static class KeyEncryptionKeyCheck
{
    private static readonly byte[] CanaryPlaintext = "broker-vault-canary-v1"u8.ToArray();
    private static readonly byte[] CanaryAd = AssociatedData.For("canary.v1");

    public static async Task VerifyAsync(EnvelopeEncryption envelope, IVaultCanaryStore store, CancellationToken cancellationToken = default)
    {
        var canary = await store.GetCanaryAsync(cancellationToken).ConfigureAwait(false)
            ?? await store.SetCanaryIfAbsentAsync(envelope.Seal(CanaryPlaintext, CanaryAd), cancellationToken).ConfigureAwait(false);
        byte[] opened;
        try
        {
            opened = envelope.Open(canary, CanaryAd);
        }
        catch (KeyEncryptionKeyException ex)
        {
            throw new KeyEncryptionKeyException(
                $"The configured key-encryption key ({envelope.KeyEncryptionKey.Id}) cannot open this store's data (sealed under {canary.KekId}). " +
                "Start the broker with the key-encryption key the store was created with (the Data Protection key ring under the data directory, or the same Broker__MasterKey).", ex);
        }
        catch (CryptographicException ex)
        {
            throw new KeyEncryptionKeyException("The store's key-check value failed to decrypt: the key-encryption key is wrong or the store was altered.", ex);
        }

        if (!CryptographicOperations.FixedTimeEquals(opened, CanaryPlaintext))
        {
            throw new KeyEncryptionKeyException("The store's key-check value decrypted to the wrong content: the store was altered.");
        }
    }
}
