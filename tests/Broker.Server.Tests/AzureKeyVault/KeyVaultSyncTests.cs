using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Broker.Server.Tests.AzureKeyVault;

/// <summary>Credentials sourced from (a local fake of) Azure Key Vault, synced through the real SecretClient.</summary>
public sealed class KeyVaultSyncTests : IAsyncLifetime
{
    private FakeKeyVault _vault = null!;

    public async Task InitializeAsync() => _vault = await FakeKeyVault.StartAsync();

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    private object Source(string secretName = "gh-token") => new { source = new { azureKeyVault = new { vaultUri = _vault.VaultUri.ToString(), secretName } } };

    [Fact]
    public async Task Put_WithASource_CopiesTheSecret_AndGetShowsTheSourceAndSyncState()
    {
        _vault.SetSecret("gh-token", "kv-synced-value-1");
        await using var app = KeyVaultBrokers.Create(_vault, kekSecret: null);
        using var admin = app.Admin();
        using var put = await admin.PutAsJsonAsync("/v1/credentials/github_token", Source());
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(1, (await BrokerApp.JsonAsync(put))["version"]!.GetValue<int>());

        var detail = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials/github_token"));
        Assert.Equal(_vault.VaultUri.ToString(), detail["source"]!["azureKeyVault"]!["vaultUri"]!.GetValue<string>());
        Assert.Equal("gh-token", detail["source"]!["azureKeyVault"]!["secretName"]!.GetValue<string>());
        Assert.Equal("ok", detail["syncStatus"]!.GetValue<string>());
        Assert.NotNull(detail["lastSyncedAt"]);
        Assert.Null(detail["syncError"]);
        Assert.Equal("kv-synced-value-1", await KeyVaultKekTests.ReadAsync(app, "github_token"));

        // An ordinary credential's detail is as before: no source fields.
        await app.PutAsync("plain", "plain-value");
        Assert.Null((await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials/plain")))["source"]);
    }

    [Fact]
    public async Task ChangeInKeyVault_BecomesANewVersion_ThatReachesAnAgentThroughItsFeed()
    {
        _vault.SetSecret("gh-token", "kv-feed-value-1");
        await using var app = KeyVaultBrokers.Create(_vault, kekSecret: null);
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/github_token", Source())).StatusCode);
        var (_, key) = await app.CreateKeyAsync(new { name = "feed-agent", role = "agent", credentials = new[] { "github_token" } });
        using var agent = app.ClientWith(key);
        var cursor = (await BrokerApp.JsonAsync(await agent.GetAsync("/v1/agent/credentials")))["cursor"]!.GetValue<string>();

        var poll = agent.GetAsync($"/v1/agent/credentials?since={Uri.EscapeDataString(cursor)}&wait=30");
        _vault.SetSecret("gh-token", "kv-feed-value-2");
        var changed = await BrokerApp.JsonAsync(await poll);
        var item = changed["credentials"]!.AsArray().Single()!;
        Assert.Equal("kv-feed-value-2", item["value"]!.GetValue<string>());
        Assert.Equal(2, item["version"]!.GetValue<int>());

        var sync = await Records(app, "credential.sync");
        Assert.Contains(sync, r => r["actor"]?["name"]?.GetValue<string>() == "azure-keyvault-sync" && r["outcome"]!.GetValue<string>() == "allowed");
        Assert.DoesNotContain("kv-feed-value", string.Join("\n", sync.Select(r => r.ToJsonString())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedInKeyVault_KeepsTheLastValue_AndSaysSo()
    {
        _vault.SetSecret("gh-token", "kv-deleted-value-1");
        await using var app = KeyVaultBrokers.Create(_vault, kekSecret: null, extra: new() { ["Broker:AzureKeyVault:SyncInterval"] = "01:00:00" });
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/github_token", Source())).StatusCode);
        _vault.DeleteSecret("gh-token");

        var synced = await BrokerApp.JsonAsync(await admin.PostAsync("/v1/credentials/github_token/sync", null));
        Assert.Equal("error", synced["syncStatus"]!.GetValue<string>());
        Assert.Contains("deleted in Key Vault", synced["syncError"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, synced["version"]!.GetValue<int>());
        Assert.Equal("kv-deleted-value-1", await KeyVaultKekTests.ReadAsync(app, "github_token"));
        Assert.Equal("error", (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials/github_token")))["syncStatus"]!.GetValue<string>());
    }

    [Fact]
    public async Task Outage_KeepsServingTheLastValue_ThenRecoversOnItsOwn()
    {
        _vault.SetSecret("gh-token", "kv-outage-value-1");
        await using var app = KeyVaultBrokers.Create(_vault, kekSecret: null);
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/github_token", Source())).StatusCode);

        _vault.Unreachable = true;
        _vault.SetSecret("gh-token", "kv-outage-value-2");
        var failed = await UntilDetailAsync(admin, d => d["syncStatus"]!.GetValue<string>() == "error", "the sync reports the outage");
        Assert.Contains("test.vault.azure.net", failed["syncError"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("kv-outage-value-1", await KeyVaultKekTests.ReadAsync(app, "github_token"));

        _vault.Unreachable = false;
        var recovered = await UntilDetailAsync(admin, d => d["syncStatus"]!.GetValue<string>() == "ok" && d["version"]!.GetValue<int>() == 2, "the sync recovers");
        Assert.Null(recovered["syncError"]);
        Assert.Equal("kv-outage-value-2", await KeyVaultKekTests.ReadAsync(app, "github_token"));
    }

    [Fact]
    public async Task Throttled_TheSdkWaitsForRetryAfter_ThenSyncs()
    {
        _vault.SetSecret("gh-token", "kv-throttle-value-1");
        await using var app = KeyVaultBrokers.Create(_vault, kekSecret: null, extra: new() { ["Broker:AzureKeyVault:SyncInterval"] = "01:00:00" });
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/github_token", Source())).StatusCode);
        _vault.SetSecret("gh-token", "kv-throttle-value-2");
        _vault.Throttle(1);

        var started = DateTime.UtcNow;
        var synced = await BrokerApp.JsonAsync(await admin.PostAsync("/v1/credentials/github_token/sync", null));
        Assert.Equal("ok", synced["syncStatus"]!.GetValue<string>());
        Assert.Equal(2, synced["version"]!.GetValue<int>());
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "the retry waited for Retry-After: 1");
    }

    [Fact]
    public async Task TwoBrokers_SyncingOneCredential_AddEachChangeOnce()
    {
        var dataDir = BrokerApp.NewDataDir();
        _vault.SetSecret("gh-token", "kv-replica-value-0");
        await using var one = KeyVaultBrokers.Create(_vault, kekSecret: null, dataDir: dataDir, extra: new() { ["Broker:AzureKeyVault:SyncInterval"] = "00:00:00.020" });
        await using var two = KeyVaultBrokers.Create(_vault, kekSecret: null, dataDir: dataDir, extra: new() { ["Broker:AzureKeyVault:SyncInterval"] = "00:00:00.020" });
        using var adminOne = one.Admin();
        using var adminTwo = two.Admin();
        Assert.Equal(HttpStatusCode.Created, (await adminOne.PutAsJsonAsync("/v1/credentials/github_token", Source())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await adminTwo.GetAsync("/readyz")).StatusCode);

        for (var i = 1; i <= 3; i++)
        {
            _vault.SetSecret("gh-token", $"kv-replica-value-{i}");

            // Both background loops and two concurrent syncs now race for the same change.
            await Task.WhenAll(adminOne.PostAsync("/v1/credentials/github_token/sync", null), adminTwo.PostAsync("/v1/credentials/github_token/sync", null));
            var reads = _vault.ReadsOf("gh-token");
            await KeyVaultBrokers.UntilAsync(() => Task.FromResult(_vault.ReadsOf("gh-token") >= reads + 4), "both replicas synced again");
        }

        var versions = (await BrokerApp.JsonAsync(await adminTwo.GetAsync("/v1/credentials/github_token")))["versions"]!.AsArray();
        Assert.Equal([1, 2, 3, 4], versions.Select(v => v!["version"]!.GetValue<int>()));
        Assert.Equal("kv-replica-value-3", await KeyVaultKekTests.ReadAsync(one, "github_token"));
    }

    [Fact]
    public async Task Put_RefusesInvalidSources_AndAValueForASourcedCredential()
    {
        _vault.SetSecret("gh-token", "kv-validation-value");
        await using var app = KeyVaultBrokers.Create(_vault, kekSecret: null);
        using var admin = app.Admin();
        var vault = _vault.VaultUri.ToString();
        await Actors.AssertProblemAsync(await admin.PutAsJsonAsync("/v1/credentials/a", new { value = "x", source = new { azureKeyVault = new { vaultUri = vault, secretName = "gh-token" } } }), HttpStatusCode.BadRequest);
        await Actors.AssertProblemAsync(await admin.PutAsJsonAsync("/v1/credentials/a", new { source = new { azureKeyVault = new { vaultUri = "http://kv.example/", secretName = "gh-token" } } }), HttpStatusCode.BadRequest);
        await Actors.AssertProblemAsync(await admin.PutAsJsonAsync("/v1/credentials/a", new { source = new { azureKeyVault = new { vaultUri = vault + "?x=1", secretName = "gh-token" } } }), HttpStatusCode.BadRequest);
        await Actors.AssertProblemAsync(await admin.PutAsJsonAsync("/v1/credentials/a", new { source = new { azureKeyVault = new { vaultUri = vault, secretName = "bad_name" } } }), HttpStatusCode.BadRequest);
        await Actors.AssertProblemAsync(await admin.PutAsJsonAsync("/v1/credentials/a", new { source = new { azureKeyVault = new { vaultUri = vault, secretName = "missing" } } }), HttpStatusCode.BadRequest);
        await Actors.AssertProblemAsync(await admin.PutAsJsonAsync("/v1/credentials/a?subject=alice", Source()), HttpStatusCode.BadRequest);
        await Actors.AssertProblemAsync(await admin.PutAsJsonAsync("/v1/credentials/a", new { source = new { } }), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/credentials/a")).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/github_token", Source())).StatusCode);
        await Actors.AssertProblemAsync(await admin.PutAsJsonAsync("/v1/credentials/github_token", new { value = "manual" }), HttpStatusCode.Conflict);

        // Deleting it deletes its source: the name is free for an ordinary value.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/credentials/github_token")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/github_token", new { value = "manual" })).StatusCode);
    }

    [Fact]
    public async Task Sync_AuthorizationMatrix()
    {
        _vault.SetSecret("gh-token", "kv-matrix-value");
        await using var app = KeyVaultBrokers.Create(_vault, kekSecret: null);
        var actors = await Actors.CreateAsync(app);
        using (var admin = app.Admin())
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/github_token", Source())).StatusCode);
        }

        const string url = "/v1/credentials/github_token/sync";
        Assert.Equal(HttpStatusCode.OK, (await actors.PostAsync(actors.Bootstrap, url)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await actors.PostAsync(actors.OtherAdmin.Key, url)).StatusCode);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.AcmeAdmin.Key, url), HttpStatusCode.NotFound);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Responder.Key, url), HttpStatusCode.Forbidden);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Agent.Key, url), HttpStatusCode.Forbidden);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Revoked.Key, url), HttpStatusCode.Unauthorized);
        using var anonymous = app.ClientWith(null);
        await Actors.AssertProblemAsync(await anonymous.PostAsync(url, null), HttpStatusCode.Unauthorized);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Bootstrap, "/v1/credentials/plain_missing/sync"), HttpStatusCode.NotFound);

        // Another tenant's admin is told 404 and the refusal is recorded in its own tenant's trail.
        Assert.Contains(await actors.AuditAsync("credential.sync", actors.AcmeAdmin.Key), r => Actors.IsDenial(r, actors.AcmeAdmin.Id, "not_found"));
        Assert.Equal(2, (await actors.AuditAsync("credential.sync")).Count(r => r["outcome"]!.GetValue<string>() == "allowed" && r["actor"]!["role"]?.GetValue<string>() == "admin"));
    }

    [Fact]
    public async Task SyncedValues_AreInNoFileOfTheDataDirectory_NorInTheAudit()
    {
        _vault.SetSecret("gh-token", "kv-leak-canary-4a7c1e");
        await using var app = KeyVaultBrokers.Create(_vault, kekSecret: null);
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/github_token", Source())).StatusCode);
        _vault.SetSecret("gh-token", "kv-leak-canary-9b2d3f");
        Assert.Equal(2, (await BrokerApp.JsonAsync(await admin.PostAsync("/v1/credentials/github_token/sync", null)))["version"]!.GetValue<int>());

        var audit = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?limit=1000"))).ToJsonString();
        var detail = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials/github_token"))).ToJsonString();
        foreach (var secret in new[] { "kv-leak-canary-4a7c1e", "kv-leak-canary-9b2d3f" })
        {
            Assert.DoesNotContain(secret, audit, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, detail, StringComparison.Ordinal);
            foreach (var file in Directory.EnumerateFiles(app.DataDir, "*", SearchOption.AllDirectories))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var memory = new MemoryStream();
                await stream.CopyToAsync(memory);
                Assert.True(memory.ToArray().AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(secret)) < 0, $"{secret} in {file}");
            }
        }
    }

    private static async Task<IReadOnlyList<JsonNode>> Records(BrokerApp app, string action)
    {
        using var admin = app.Admin();
        var json = await BrokerApp.JsonAsync(await admin.GetAsync($"/v1/audit?limit=1000&action={action}"));
        return json["items"]!.AsArray().Select(i => i!).ToList();
    }

    private static async Task<JsonNode> UntilDetailAsync(HttpClient admin, Func<JsonNode, bool> condition, string what)
    {
        JsonNode detail = null!;
        await KeyVaultBrokers.UntilAsync(async () => condition(detail = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials/github_token"))), what);
        return detail;
    }
}
