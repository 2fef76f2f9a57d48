using Broker.Credentials;
using Broker.Server.Hosting;
using Broker.Vault;

namespace Broker.Server.Commands;

/// <summary>
/// <c>dotnet run --project src/Broker.Server -- rewrap</c> with <c>Broker__NewMasterKey</c> set: re-wraps every
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
        var newKeyText = app.Configuration["Broker:NewMasterKey"];
        if (string.IsNullOrWhiteSpace(newKeyText))
        {
            logger.LogCritical("rewrap needs Broker__NewMasterKey (32 random bytes, base64)");
            Environment.ExitCode = 2;
            return true;
        }

        using var newKek = MasterKeyEncryptionKey.FromBase64(newKeyText);
        var current = app.Services.GetRequiredService<EnvelopeEncryption>();
        var target = new EnvelopeEncryption(newKek);
        var count = 0;
        foreach (var store in new IRewrappableStore[] { app.Services.GetRequiredService<ICredentialStore>(), (IRewrappableStore)app.Services.GetRequiredService<Broker.Minting.Signing.ISigningKeyStore>(), (IRewrappableStore)app.Services.GetRequiredService<Broker.Audit.IAuditKeyStore>() })
        {
            count += await store.RewrapAllAsync(
                (wrapped, kekId) => kekId == newKek.Id ? (wrapped, kekId) : (target.Rewrap(current.KeyEncryptionKey, wrapped), newKek.Id));
        }

        await KeyEncryptionKeyCheck.VerifyAsync(target, app.Services.GetRequiredService<IVaultCanaryStore>());
        logger.LogInformation("Re-wrapped {Count} data keys from {From} to {To}; start the broker with Broker__MasterKey set to the new key", count, current.KeyEncryptionKey.Id, newKek.Id);
        return true;
    }
}
