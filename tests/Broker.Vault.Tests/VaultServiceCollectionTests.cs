using System.Security.Cryptography;
using Broker.Vault.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Vault.Tests;

public sealed class VaultServiceCollectionTests
{
    [Fact]
    public void AddBrokerDataProtectionKek_KeepsTheKeyRingInTheGivenDirectory_AndASecondProviderOpensWhatTheFirstWrapped()
    {
        var dir = Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n"), "keys");
        try
        {
            byte[] wrapped;
            var dataKey = RandomNumberGenerator.GetBytes(32);
            using (var first = NewProvider(services => services.AddBrokerDataProtectionKek(_ => dir)))
            {
                var kek = first.GetRequiredService<IKeyEncryptionKey>();
                Assert.IsType<DataProtectionKeyEncryptionKey>(kek);
                wrapped = kek.Wrap(dataKey);
            }

            Assert.NotEmpty(Directory.GetFiles(dir, "*.xml"));
            using var second = NewProvider(services => services.AddBrokerDataProtectionKek(_ => dir));
            Assert.Equal(dataKey, second.GetRequiredService<IKeyEncryptionKey>().Unwrap(wrapped));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
        }
    }

    [Fact]
    public void AddBrokerMasterKeyKek_UsesTheMasterKey_AndAMalformedOneFailsWithoutEchoingIt()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using (var provider = NewProvider(services => services.AddBrokerMasterKeyKek(Convert.ToBase64String(key))))
        {
            Assert.Equal(new MasterKeyEncryptionKey(key).Id, provider.GetRequiredService<IKeyEncryptionKey>().Id);
            Assert.NotNull(provider.GetRequiredService<EnvelopeEncryption>());
        }

        using var bad = NewProvider(services => services.AddBrokerMasterKeyKek("!!not base64 secret!!"));
        var ex = Assert.Throws<KeyEncryptionKeyException>(() => bad.GetRequiredService<IKeyEncryptionKey>());
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyMaterialCheck_IsUnhealthyUntilTheStartProvedTheKey_AndAfterItFailed()
    {
        using var provider = NewProvider(services => services.AddBrokerMasterKeyKek(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
        var health = provider.GetRequiredService<HealthCheckService>();
        var check = provider.GetRequiredService<KeyMaterialHealthCheck>();

        var before = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Equal("The broker has not finished starting.", before.Entries[KeyMaterialHealthCheck.Name].Description);

        check.Ready();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        check.Failed("The configured key-encryption key cannot open this store's data.");
        var after = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, after.Status);
        Assert.Equal("The configured key-encryption key cannot open this store's data.", after.Entries[KeyMaterialHealthCheck.Name].Description);
    }

    [Fact]
    public async Task AddBrokerVault_Twice_RegistersOneKeyMaterialCheck()
    {
        using var provider = NewProvider(services => services.AddBrokerVault().AddBrokerMasterKeyKek(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Single(report.Entries);
    }

    private static ServiceProvider NewProvider(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddBrokerVault();
        configure(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
