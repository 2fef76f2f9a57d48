using System.Net;
using System.Net.Http.Json;
using Broker.Server.Commands;
using Broker.Vault;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Server.Tests.AzureKeyVault;

/// <summary>The key-encryption key kept in (a local fake of) Azure Key Vault, read through the real SecretClient.</summary>
public sealed class KeyVaultKekTests : IAsyncLifetime
{
    private FakeKeyVault _vault = null!;
    private readonly string _dataDir = BrokerApp.NewDataDir();

    public async Task InitializeAsync() => _vault = await FakeKeyVault.StartAsync();

    public async Task DisposeAsync()
    {
        await _vault.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Start_FetchesTheKeyFromKeyVault_AndARestartOpensWhatItSealed()
    {
        var kek = KeyVaultBrokers.NewKek();
        var version = _vault.SetSecret("kek", kek);
        await using (var app = KeyVaultBrokers.Create(_vault, dataDir: _dataDir))
        {
            await app.PutAsync("db_pass", "kek-in-vault-value-1");
            Assert.Equal(HttpStatusCode.OK, (await app.Admin().GetAsync("/readyz")).StatusCode);
            Assert.True(_vault.Challenges > 0, "the SDK answered the bearer challenge");
        }

        Assert.Equal(["akv:kek/" + version], KekIds(_dataDir));
        await using (var again = KeyVaultBrokers.Create(_vault, dataDir: _dataDir))
        {
            Assert.Equal("kek-in-vault-value-1", await ReadAsync(again, "db_pass"));
        }

        // Nothing of the key lands under the data directory: neither its base64 nor its bytes.
        var raw = Convert.FromBase64String(kek);
        foreach (var file in Directory.EnumerateFiles(_dataDir, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.True(bytes.AsSpan().IndexOf(raw) < 0 && bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(kek)) < 0, file);
        }
    }

    [Fact]
    public async Task Start_WithAnotherSecret_IsRefusedLikeAWrongMasterKey()
    {
        _vault.SetSecret("kek", KeyVaultBrokers.NewKek());
        _vault.SetSecret("other-kek", KeyVaultBrokers.NewKek());
        await using (var app = KeyVaultBrokers.Create(_vault, dataDir: _dataDir))
        {
            await app.PutAsync("db_pass", "kek-in-vault-value-2");
        }

        await using var wrong = KeyVaultBrokers.Create(_vault, kekSecret: "other-kek", dataDir: _dataDir);
        var ex = Assert.Throws<KeyEncryptionKeyException>(() => wrong.CreateClient());
        Assert.Contains("cannot open this store's data", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WhenTheStoresVersionIsGone_IsRefused()
    {
        _vault.SetSecret("kek", KeyVaultBrokers.NewKek());
        await using (var app = KeyVaultBrokers.Create(_vault, dataDir: _dataDir))
        {
            await app.PutAsync("db_pass", "kek-in-vault-value-3");
        }

        // Same name, a different secret (another vault, or deleted and re-created): the version the store names is not there.
        _vault.DeleteSecret("kek");
        _vault.SetSecret("kek", KeyVaultBrokers.NewKek());
        await using var wrong = KeyVaultBrokers.Create(_vault, dataDir: _dataDir);
        var ex = Assert.Throws<KeyEncryptionKeyException>(() => wrong.CreateClient());
        Assert.Contains("has no version", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotation_NewVersionThenRewrap_MovesEveryRowToIt_AndValuesStillOpen()
    {
        var v1 = _vault.SetSecret("kek", KeyVaultBrokers.NewKek());
        await using (var app = KeyVaultBrokers.Create(_vault, dataDir: _dataDir))
        {
            await app.PutAsync("db_pass", "rotated-value-1");
            await app.PutAsync("db_pass", "rotated-value-2");
        }

        // A new version alone changes nothing: the broker keeps the version the store was sealed with.
        var v2 = _vault.SetSecret("kek", KeyVaultBrokers.NewKek());
        await using (var app = KeyVaultBrokers.Create(_vault, dataDir: _dataDir))
        {
            Assert.Equal("rotated-value-2", await ReadAsync(app, "db_pass"));
            Assert.Equal(["akv:kek/" + v1], KekIds(_dataDir));
            var count = await RewrapCommand.RewrapToNewestVersionAsync(app.Services, app.Services.GetRequiredService<IKeyEncryptionKeyVersions>(), NullLogger.Instance);
            Assert.True(count >= 3, $"re-wrapped {count}");
        }

        Assert.Equal(["akv:kek/" + v2], KekIds(_dataDir));
        await using (var after = KeyVaultBrokers.Create(_vault, dataDir: _dataDir))
        {
            Assert.Equal("rotated-value-2", await ReadAsync(after, "db_pass"));
            await after.PutAsync("db_pass", "rotated-value-3");
        }

        Assert.Equal(["akv:kek/" + v2], KekIds(_dataDir));
    }

    [Fact]
    public async Task Start_WithKeyVaultUnreachable_ServesNotReady_ThenRecoversOnItsOwn()
    {
        _vault.SetSecret("kek", KeyVaultBrokers.NewKek());
        _vault.Unreachable = true;
        await using var app = KeyVaultBrokers.Create(_vault, dataDir: _dataDir);
        using var client = app.Admin();
        var notReady = await Actors.AssertProblemAsync(await client.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable);
        Assert.Contains("cannot be fetched from Azure Key Vault test.vault.azure.net", notReady["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await Actors.AssertProblemAsync(await client.PutAsJsonAsync("/v1/credentials/db_pass", new { value = "while-down" }), HttpStatusCode.ServiceUnavailable);

        _vault.Unreachable = false;
        await KeyVaultBrokers.UntilAsync(async () => (await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "the broker is ready");
        await app.PutAsync("db_pass", "after-recovery");
        Assert.Equal("after-recovery", await ReadAsync(app, "db_pass"));
    }

    internal static async Task<string> ReadAsync(BrokerApp app, string name)
    {
        var (_, key) = await app.CreateKeyAsync(new { name = "reader-" + Guid.NewGuid().ToString("n")[..8], role = "agent", credentials = new[] { "*" } });
        using var agent = app.ClientWith(key);
        using var response = await agent.GetAsync($"/v1/agent/credentials/{name}");
        var body = await BrokerApp.JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return body["value"]!.GetValue<string>();
    }

    /// <summary>The distinct KEK ids in the store's credential versions and key-check value.</summary>
    private static string[] KekIds(string dataDir)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "broker.db"), Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT kek_id FROM credential_versions UNION SELECT kek_id FROM vault_canary UNION SELECT kek_id FROM signing_keys UNION SELECT kek_id FROM audit_keys UNION SELECT kek_id FROM audit_sealed_keys";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return [.. ids.Distinct()];
    }
}
