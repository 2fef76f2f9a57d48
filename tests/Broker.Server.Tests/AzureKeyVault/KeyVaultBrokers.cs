using Azure.Core;
using Broker.Vault.AzureKeyVault;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Broker.Server.Tests.AzureKeyVault;

/// <summary>Brokers wired to a <see cref="FakeKeyVault"/>: its transport, a fake token credential, short retry and sync intervals.</summary>
internal static class KeyVaultBrokers
{
    public static BrokerApp Create(FakeKeyVault vault, string? kekSecret = "kek", string? dataDir = null, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Broker:AzureKeyVault:KekRetryInterval"] = "00:00:00.100",
            ["Broker:AzureKeyVault:SyncInterval"] = "00:00:00.200",
            ["Broker:AzureKeyVault:MaxRetries"] = "1",
            ["Broker:AzureKeyVault:RetryDelay"] = "00:00:00.050",
            ["Broker:AzureKeyVault:MaxRetryDelay"] = "00:00:02",
            ["Broker:AzureKeyVault:NetworkTimeout"] = "00:00:10",
        };
        if (kekSecret is not null)
        {
            settings["Broker:Kek:Provider"] = "azure-keyvault";
            settings["Broker:AzureKeyVault:VaultUri"] = vault.VaultUri.ToString();
            settings["Broker:AzureKeyVault:KekSecret"] = kekSecret;
        }

        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new BrokerApp(settings: settings, dataDir: dataDir, services: services =>
        {
            services.Replace(ServiceDescriptor.Singleton<TokenCredential>(new FakeTokenCredential()));
            services.Configure<AzureKeyVaultOptions>(o => o.ConfigureClient = vault.Configure);
        });
    }

    public static string NewKek() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Delay(25);
        }
    }
}
