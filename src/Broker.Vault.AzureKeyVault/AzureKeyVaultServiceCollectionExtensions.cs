using Azure.Core;
using Broker.Vault;
using Broker.Vault.AzureKeyVault;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class AzureKeyVaultServiceCollectionExtensions
{
    /// <summary>
    /// The Key Vault clients: <see cref="AzureKeyVaultOptions"/> bound from <c>Broker:AzureKeyVault</c>, a
    /// <see cref="TokenCredential"/> from its <c>Credential</c> settings (tests replace it), one
    /// <see cref="AzureKeyVaultClients"/>.
    /// </summary>
    public static IServiceCollection AddBrokerAzureKeyVault(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AzureKeyVaultOptions>().Bind(configuration.GetSection(AzureKeyVaultOptions.Section))
            .Validate(o => o.SyncInterval > TimeSpan.Zero && o.KekRetryInterval > TimeSpan.Zero && o.MaxRetries >= 0,
                "Broker:AzureKeyVault needs a positive SyncInterval and KekRetryInterval and MaxRetries >= 0.");
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TokenCredential>(sp => AzureKeyVaultCredentials.Create(sp.GetRequiredService<IOptions<AzureKeyVaultOptions>>().Value));
        services.TryAddSingleton<AzureKeyVaultClients>();
        return services;
    }

    /// <summary>
    /// Credentials sourced from Key Vault secrets: <see cref="AzureKeyVaultCredentialSync"/> and the background
    /// <see cref="AzureKeyVaultSyncService"/> (every <c>Broker:AzureKeyVault:SyncInterval</c>). The host registers the
    /// <see cref="Broker.Credentials.ICredentialSourceStore"/> with its store.
    /// </summary>
    public static IServiceCollection AddBrokerAzureKeyVaultSync(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBrokerAzureKeyVault(configuration);
        services.TryAddSingleton<AzureKeyVaultCredentialSync>();
        services.TryAddSingleton<SourcedCredentialAdmin>();
        services.AddHostedService<AzureKeyVaultSyncService>();
        return services;
    }

    /// <summary>
    /// Uses a Key Vault secret (<c>Broker:AzureKeyVault:VaultUri</c>, <c>KekSecret</c>) as the key-encryption key
    /// (<see cref="AzureKeyVaultKeyEncryptionKey"/>), fetched at start and, while Key Vault cannot be reached, again in
    /// the background (<see cref="AzureKeyVaultKekRetryService"/>).
    /// </summary>
    public static IServiceCollection AddBrokerAzureKeyVaultKek(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBrokerAzureKeyVault(configuration);
        services.TryAddSingleton<AzureKeyVaultKeyEncryptionKey>();
        services.TryAddSingleton<IKeyEncryptionKey>(sp => sp.GetRequiredService<AzureKeyVaultKeyEncryptionKey>());
        services.TryAddSingleton<IKeyEncryptionKeyLoader>(sp => sp.GetRequiredService<AzureKeyVaultKeyEncryptionKey>());
        services.TryAddSingleton<IKeyEncryptionKeyVersions>(sp => sp.GetRequiredService<AzureKeyVaultKeyEncryptionKey>());
        services.AddHostedService<AzureKeyVaultKekRetryService>();
        return services;
    }
}
