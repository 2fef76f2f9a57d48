using Broker.Vault;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class VaultServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="EnvelopeEncryption"/> and the <c>key-material</c> readiness check
    /// (<see cref="KeyMaterialHealthCheck"/>, unhealthy until the start has proved the key-encryption key). The host
    /// also chooses one <see cref="IKeyEncryptionKey"/>: <see cref="AddBrokerMasterKeyKek"/> or the Data Protection
    /// key ring (<c>AddBrokerDataProtectionKek</c> in Broker.Vault.DataProtection), and registers the
    /// <see cref="IVaultCanaryStore"/> with its store.
    /// </summary>
    public static IServiceCollection AddBrokerVault(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<EnvelopeEncryption>();
        if (services.Any(d => d.ServiceType == typeof(KeyMaterialHealthCheck)))
        {
            // A second health check of the same name would stop the health check service from starting.
            return services;
        }

        services.AddSingleton<KeyMaterialHealthCheck>();
        services.AddHealthChecks().AddCheck<KeyMaterialHealthCheck>(KeyMaterialHealthCheck.Name);
        return services;
    }

    /// <summary>
    /// Uses a master key (32 bytes, base64, e.g. <c>Broker__MasterKey</c>) as the key-encryption key. The value is
    /// parsed when the key is first needed, so a malformed key fails the start's key check with a message that
    /// never echoes it.
    /// </summary>
    public static IServiceCollection AddBrokerMasterKeyKek(this IServiceCollection services, string masterKeyBase64)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(masterKeyBase64);
        services.TryAddSingleton<IKeyEncryptionKey>(_ => MasterKeyEncryptionKey.FromBase64(masterKeyBase64));
        return services;
    }
}
