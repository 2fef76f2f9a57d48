using Broker.Credentials;
using Broker.Server.Hosting;
using Broker.Vault;

namespace Broker.Server.Commands;

/// <summary>
/// <c>dotnet run --project src/Broker.Server -- rewrap</c> with <c>Broker__NewMasterKey</c> set (or, with
/// <c>Broker__Kek__Provider=azure-keyvault</c>, to the Key Vault secret's newest version): re-wraps every
/// stored data key (and the key-check value) from the configured key-encryption key to the new master key,
/// in one transaction, without decrypting any value. Then start the broker with <c>Broker__MasterKey</c> set to
/// the new key.
/// </summary>
public static class RewrapCommand
{
    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0] != "rewrap")
        {
            return false;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Broker.Rewrap");
        var current = app.Services.GetRequiredService<EnvelopeEncryption>();
        var newKeyText = app.Configuration["Broker:NewMasterKey"];
        if (string.IsNullOrWhiteSpace(newKeyText) && app.Services.GetService<IKeyEncryptionKeyVersions>() is { } versions)
        {
            try
            {
                await RewrapToNewestVersionAsync(app.Services, versions, logger);
            }
            catch (Exception ex) when (ex is KeyEncryptionKeyException or KeyEncryptionKeyUnavailableException)
            {
                logger.LogCritical("rewrap failed: {Problem}", ex.Message);
                Environment.ExitCode = 1;
            }

            return true;
        }

        if (string.IsNullOrWhiteSpace(newKeyText))
        {
            logger.LogCritical("rewrap needs Broker__NewMasterKey (32 random bytes, base64)");
            Environment.ExitCode = 2;
            return true;
        }

        using var newKek = MasterKeyEncryptionKey.FromBase64(newKeyText);
        var count = await RewrapToMasterKeyAsync(app.Services, newKek);
        logger.LogInformation("Re-wrapped {Count} data keys from {From} to {To}; start the broker with Broker__MasterKey set to the new key", count, current.KeyEncryptionKey.Id, newKek.Id);
        return true;
    }

    /// <summary>Re-wraps every stored key from the configured key-encryption key to <paramref name="newKek"/> (a new master key).</summary>
    /// <returns>How many data keys were re-wrapped.</returns>
    internal static Task<int> RewrapToMasterKeyAsync(IServiceProvider services, IKeyEncryptionKey newKek)
    {
        var current = services.GetRequiredService<EnvelopeEncryption>().KeyEncryptionKey;
        return RewrapAllAsync(services, newKek, _ => current);
    }

    /// <summary>
    /// A versioned key-encryption key (Azure Key Vault): every data key is unwrapped with the version its KEK id
    /// names and wrapped with the newest (or pinned) version. The broker then uses that version at its next start.
    /// </summary>
    /// <returns>How many data keys were re-wrapped.</returns>
    /// <exception cref="KeyEncryptionKeyUnavailableException">Key Vault cannot be reached.</exception>
    /// <exception cref="KeyEncryptionKeyException">A data key names a version the secret does not have (enabled).</exception>
    internal static async Task<int> RewrapToNewestVersionAsync(IServiceProvider services, IKeyEncryptionKeyVersions versions, ILogger logger)
    {
        var newest = await versions.GetNewestAsync();
        var all = await versions.GetAllAsync();
        var count = await RewrapAllAsync(services, newest, kekId => all.TryGetValue(kekId, out var kek)
            ? kek
            : throw new KeyEncryptionKeyException($"A data key is wrapped by key-encryption key '{kekId}', which is no enabled version of the configured Key Vault secret."));
        logger.LogInformation("Re-wrapped {Count} data keys to {To}; the broker uses it from its next start", count, newest.Id);
        return count;
    }

    /// <summary>One transaction per store (credentials with the key-check value, signing keys, then the audit's keys); rows already under <paramref name="to"/> stay.</summary>
    private static async Task<int> RewrapAllAsync(IServiceProvider services, IKeyEncryptionKey to, Func<string, IKeyEncryptionKey> from)
    {
        var target = new EnvelopeEncryption(to);
        var count = 0;
        foreach (var store in new IRewrappableStore[]
        {
            services.GetRequiredService<ICredentialStore>(), (IRewrappableStore)services.GetRequiredService<Broker.Minting.Signing.ISigningKeyStore>(),
            (IRewrappableStore)services.GetRequiredService<Broker.Audit.IAuditKeyStore>(),
        })
        {
            count += await store.RewrapAllAsync(
                (wrapped, kekId) => kekId == to.Id ? (wrapped, kekId) : (target.Rewrap(from(kekId), wrapped), to.Id));
        }

        await KeyEncryptionKeyCheck.VerifyAsync(target, services.GetRequiredService<IVaultCanaryStore>());
        return count;
    }
}
