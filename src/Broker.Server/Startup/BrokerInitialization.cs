using Broker.Audit;
using Broker.Keys;
using Broker.Server.Hosting;
using Broker.Vault;
using Microsoft.Extensions.Options;

namespace Broker.Server.Startup;

public static class BrokerInitialization
{
    /// <summary>
    /// Before serving: an owner-only data directory, migrations, the key-encryption-key check, the bootstrap admin
    /// key. A wrong or missing key-encryption key stops the start with a clear message (never garbage later).
    /// </summary>
    public static async Task InitializeBrokerAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Broker.Startup");
        var paths = app.Services.GetRequiredService<BrokerPaths>();
        var auditOptions = app.Services.GetRequiredService<IOptions<AuditOptions>>().Value;
        DataDirPermissions.Secure(paths, auditOptions, logger);
        var applied = app.Services.GetRequiredService<StoreInitializer>().Apply();
        foreach (var name in applied)
        {
            logger.LogInformation("Applied migration {Migration}", name);
        }

        var keyMaterial = app.Services.GetRequiredService<KeyMaterialHealthCheck>();
        try
        {
            if (app.Services.GetService<IKeyEncryptionKeyLoader>() is { } loader)
            {
                await loader.LoadAsync();
            }

            var envelope = app.Services.GetRequiredService<EnvelopeEncryption>();
            await KeyEncryptionKeyCheck.VerifyAsync(envelope, app.Services.GetRequiredService<IVaultCanaryStore>());
            keyMaterial.Ready();
            logger.LogInformation("Key-encryption key {KekId} opens the store", envelope.KeyEncryptionKey.Id);
            if (app.Services.GetRequiredService<IValueHmacKeySource>() is SealedValueHmacKeySource valueHmacKey)
            {
                // Opened with the key-encryption key just checked; a stored key it cannot open was altered.
                await valueHmacKey.InitializeAsync();
            }
        }
        catch (Broker.Core.BrokerOperationException ex)
        {
            keyMaterial.Failed(ex.Message);
            logger.LogCritical("Refusing to start: {Problem}", ex.Message);
            throw;
        }
        catch (KeyEncryptionKeyUnavailableException ex)
        {
            // Its home (Key Vault) is unreachable: serve with /readyz at 503 while the provider retries in the background.
            keyMaterial.Failed(ex.Message + " Retrying in the background.");
            logger.LogError("Starting without the key-encryption key: {Problem}", ex.Message);
        }
        catch (KeyEncryptionKeyException ex)
        {
            keyMaterial.Failed(ex.Message);
            logger.LogCritical("Refusing to start: {Problem}", ex.Message);
            throw;
        }

        WarnOfGuessedIssuer(app, logger);
        var options = app.Services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        BootstrapResult bootstrap;
        try
        {
            bootstrap = await app.Services.GetRequiredService<KeyService>().EnsureBootstrapAsync(options.BootstrapAdminKey);
        }
        catch (InvalidOperationException ex)
        {
            // The message names the rule the value breaks, never the value.
            logger.LogCritical("Refusing to start: {Problem}", ex.Message);
            throw;
        }

        var issued = bootstrap.Created;
        if (issued is not null && options.BootstrapAdminKey is null)
        {
            var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = ownerOnly;
            }

            await using (var file = new FileStream(paths.AdminKeyFile, fileOptions))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(paths.AdminKeyFile, ownerOnly);
                }

                await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(issued.Secret + "\n"));
                file.Flush(flushToDisk: true);
            }

            logger.LogInformation("Created the bootstrap admin key (prefix {Prefix}) and wrote it to {Path} (mode 0600)", issued.Key.Prefix, paths.AdminKeyFile);
        }
        else if (issued is not null)
        {
            logger.LogInformation("Registered the bootstrap admin key from Broker:BootstrapAdminKey (prefix {Prefix})", issued.Key.Prefix);
        }

        foreach (var id in bootstrap.ReplacedKeyIds)
        {
            logger.LogWarning("Revoked the previous bootstrap admin key {KeyId}: Broker:BootstrapAdminKey replaced it", id);
        }

        if (!bootstrap.ConfiguredKeyUsable)
        {
            logger.LogWarning(
                "Broker:BootstrapAdminKey belongs to a key that is no longer an active bootstrap admin key (it rotated itself or was revoked); " +
                "there is no bootstrap admin key until Broker:BootstrapAdminKey is set to a new value");
        }

        // Again, for what the start itself created: the database's -wal and -shm, a new key in the key ring.
        DataDirPermissions.Secure(paths, auditOptions, logger);
    }

    /// <summary>Listening on every interface (a container), the broker cannot know the name its clients use.</summary>
    private static void WarnOfGuessedIssuer(WebApplication app, ILogger logger)
    {
        var urls = app.Configuration["urls"] ?? BrokerHostBuilderExtensions.DefaultUrl;
        if (string.IsNullOrWhiteSpace(app.Configuration["Broker:Issuer"]) && ListenUrl.HasWildcardHost(urls.Split(';', StringSplitOptions.TrimEntries)[0]))
        {
            logger.LogWarning(
                "Broker__Issuer is not set and the broker listens on {Urls}: tokens name {Issuer} as their issuer. Set Broker__Issuer to the URL clients use",
                urls, ListenUrl.DefaultIssuer(urls));
        }
    }
}
