using Broker.Vault;
using Broker.Vault.DataProtection;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class DataProtectionKekServiceCollectionExtensions
{
    /// <summary>The Data Protection application name: part of every protected payload, so it never changes.</summary>
    public const string ApplicationName = "Broker";

    /// <summary>
    /// Uses an ASP.NET Core Data Protection key ring, kept as XML files in <paramref name="keyRingDirectory"/>
    /// (resolved when the ring is first used), as the key-encryption key (<see cref="DataProtectionKeyEncryptionKey"/>).
    /// Also registers <see cref="IDataProtectionProvider"/> for other secrets kept under the same ring.
    /// </summary>
    public static IServiceCollection AddBrokerDataProtectionKek(this IServiceCollection services, Func<IServiceProvider, string> keyRingDirectory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(keyRingDirectory);

        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(keyRingDirectory(sp)), sp.GetRequiredService<ILoggerFactory>())));
        services.TryAddSingleton<IKeyEncryptionKey>(sp => new DataProtectionKeyEncryptionKey(sp.GetRequiredService<IDataProtectionProvider>()));
        return services;
    }
}
