using System.Text;
using Broker.Storage.Sqlite.Audit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Broker.Audit.Tests;

public sealed class NoSecretTests
{
    private const string SecretValue = "sk_live_DO-NOT-STORE-4f1c2a";

    [Fact]
    public async Task CredentialRead_StoresTheHmacNeverTheValue_AndTheHmacFindsIt()
    {
        using var db = new SqliteTestDatabase();
        var jsonl = Path.Combine(db.DirectoryPath, "audit", "audit.jsonl");
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Broker:DataDir"] = db.DirectoryPath,
            ["Broker:Audit:JsonlPath"] = Path.Combine("audit", "audit.jsonl"),
            ["Broker:Audit:JsonlMaxBytes"] = "1048576",
            ["Broker:Audit:MaxBatchSize"] = "64",
            ["Broker:Audit:ValueHmacKey"] = Convert.ToBase64String(new byte[32]),
        }).Build();
        services.AddSingleton<IAuditStore>(db.NewStore());
        services.AddBrokerAudit(configuration);

        await using (var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }))
        {
            var log = provider.GetRequiredService<IAuditLog>();
            var hmac = provider.GetRequiredService<AuditValueHmac>();
            var queries = provider.GetRequiredService<AuditQueries>();
            var valueHmac = hmac.Compute("t1", SecretValue);

            await log.RecordAsync(Entries.Read("t1", 1, keyId: "agent-key", valueHmac: valueHmac));
            await log.RecordAsync(Entries.Read("t1", 2, keyId: "agent-key"));

            var found = await queries.FindByValueHmacAsync("t1", hmac.Compute("t1", SecretValue));
            Assert.Equal(["req-1"], found.Select(r => r.RequestId));
            Assert.Empty(await queries.FindByValueHmacAsync("t1", hmac.Compute("t1", SecretValue + "x")));
            Assert.Empty(await queries.FindByValueHmacAsync("t2", hmac.Compute("t1", SecretValue)));
            Assert.Equal(new AuditVerification(true, 2, null), await provider.GetRequiredService<AuditVerifier>().VerifyAsync("t1"));

            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StopAsync(CancellationToken.None);
            }
        }

        Assert.Equal(2, File.ReadAllLines(jsonl).Length);
        foreach (var file in Directory.EnumerateFiles(db.DirectoryPath, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.DoesNotContain(SecretValue, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AddBrokerAudit_WithoutAKeySource_ResolvesEverythingButTheHmac()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IAuditStore>(new InMemoryAuditStore());
        services.AddBrokerAudit(new ConfigurationBuilder().Build());
        using var provider = services.BuildServiceProvider();

        Assert.IsType<GroupCommitAuditLog>(provider.GetRequiredService<IAuditLog>());
        Assert.Same(provider.GetRequiredService<IAuditLog>(), provider.GetRequiredService<GroupCommitAuditLog>());
        Assert.NotNull(provider.GetRequiredService<AuditVerifier>());
        Assert.Empty(provider.GetServices<IAuditSink>());
        Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<AuditValueHmac>());
    }

    [Fact]
    public async Task AddBrokerAudit_KeepsTheHmacKeyInTheStore_SeededWithTheKeyDerivedFromTheMasterKey()
    {
        var master = new byte[32];
        master[0] = 7;
        using var db = new SqliteTestDatabase();
        var services = new ServiceCollection();
        services.AddSingleton<IAuditStore>(db.NewStore());
        services.AddSingleton<IAuditSealedKeyStore>(new SqliteAuditProofStore(db.Database));
        services.AddSingleton(new Broker.Vault.EnvelopeEncryption(new Broker.Vault.MasterKeyEncryptionKey(master)));
        services.AddBrokerAudit(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Broker:MasterKey"] = Convert.ToBase64String(master),
        }).Build());
        await using var provider = services.BuildServiceProvider();
        var source = Assert.IsType<SealedValueHmacKeySource>(provider.GetRequiredService<IValueHmacKeySource>());

        await source.InitializeAsync();

        // A broker that derived its key from the master key before keeps matching the records it wrote then.
        Assert.Equal(
            new AuditValueHmac(StaticValueHmacKeySource.DeriveFrom(master)).Compute("t1", "v"),
            provider.GetRequiredService<AuditValueHmac>().Compute("t1", "v"));
        Assert.NotNull(await provider.GetRequiredService<IAuditSealedKeyStore>().GetSealedKeyAsync(SealedValueHmacKeySource.KeyName));
    }
}
