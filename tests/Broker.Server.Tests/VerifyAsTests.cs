using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Broker.Keys;
using Broker.Storage;
using Broker.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Broker.Server.Tests;

/// <summary><c>POST /v1/inbound/verify</c> answers for the verifying key's own name, or for names its verifyAs grant matches.</summary>
public sealed class VerifyAsTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    private static async Task<JsonNode> VerifyAsync(HttpClient agent, object body)
    {
        using var response = await agent.PostAsJsonAsync("/v1/inbound/verify", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await BrokerApp.JsonAsync(response);
    }

    [Fact]
    public async Task Verify_WithoutAgent_IsForTheKeysOwnName()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "support-agent", role = "agent" });
        var (callerId, caller) = await _app.CreateKeyAsync(new { name = "customer-1", role = "caller", agents = new[] { "support-*" } });
        var (_, otherAgent) = await _app.CreateKeyAsync(new { name = "billing-agent", role = "agent" });

        using var support = _app.ClientWith(agent);
        var ok = await VerifyAsync(support, new { key = caller });
        Assert.True(ok["valid"]!.GetValue<bool>());
        Assert.Equal(callerId, ok["keyId"]!.GetValue<string>());
        Assert.True((await VerifyAsync(support, new { key = caller, agent = "support-agent" }))["valid"]!.GetValue<bool>());

        using var billing = _app.ClientWith(otherAgent);
        Assert.Equal("forbidden", (await VerifyAsync(billing, new { key = caller }))["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Verify_ForAnotherAgent_WithoutTheGrant_Is403_Audited_AndDoesNotCountTheKey()
    {
        var (agentId, agent) = await _app.CreateKeyAsync(new { name = "support-agent", role = "agent" });
        var (callerId, caller) = await _app.CreateKeyAsync(new { name = "customer-1", role = "caller", agents = new[] { "*" }, quotaPerDay = 1, rateLimitPerMinute = 1 });
        using var client = _app.ClientWith(agent);

        for (var i = 0; i < 3; i++)
        {
            var problem = await Actors.AssertProblemAsync(await client.PostAsJsonAsync("/v1/inbound/verify", new { key = caller, agent = "billing-agent" }), HttpStatusCode.Forbidden);
            var detail = problem["detail"]!.GetValue<string>();
            Assert.Contains(KeyService.VerifyAsRule, detail, StringComparison.Ordinal);
            Assert.DoesNotContain(caller, detail, StringComparison.Ordinal);
        }

        // The refused verifies used neither the rate limit (1/min) nor the quota (1/day) of the presented key.
        Assert.True((await VerifyAsync(client, new { key = caller }))["valid"]!.GetValue<bool>());
        Assert.False((await VerifyAsync(client, new { key = caller }))["valid"]!.GetValue<bool>());

        using var admin = _app.Admin();
        var records = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?action=inbound.verify&limit=1000")))["items"]!.AsArray();
        var denied = records.Where(r => Actors.IsDenial(r!, agentId, KeyService.VerifyAsRule)).ToList();
        Assert.Equal(3, denied.Count);
        Assert.All(denied, r => Assert.Equal("agent=billing-agent", r!["target"]!.GetValue<string>()));
        Assert.Equal(2, records.Count(r => r!["target"]!.GetValue<string>() == callerId)); // only the two verifies that looked at the key
    }

    [Fact]
    public async Task Verify_ForAnotherAgent_MatchingVerifyAs_IsAnswered()
    {
        var (_, runtime) = await _app.CreateKeyAsync(new { name = "runtime-1", role = "agent", verifyAs = new[] { "support-*", "billing-agent" } });
        var (_, caller) = await _app.CreateKeyAsync(new { name = "customer-1", role = "caller", agents = new[] { "support-eu", "runtime-1" } });
        using var client = _app.ClientWith(runtime);

        Assert.True((await VerifyAsync(client, new { key = caller, agent = "support-eu" }))["valid"]!.GetValue<bool>());
        Assert.True((await VerifyAsync(client, new { key = caller }))["valid"]!.GetValue<bool>());
        Assert.Equal("forbidden", (await VerifyAsync(client, new { key = caller, agent = "billing-agent" }))["reason"]!.GetValue<string>());
        await Actors.AssertProblemAsync(await client.PostAsJsonAsync("/v1/inbound/verify", new { key = caller, agent = "hr-agent" }), HttpStatusCode.Forbidden);
        await Actors.AssertProblemAsync(await client.PostAsJsonAsync("/v1/inbound/verify", new { key = caller, agent = "has space" }), HttpStatusCode.BadRequest);
        await Actors.AssertProblemAsync(await client.PostAsJsonAsync("/v1/inbound/verify", new { agent = "support-eu" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Verify_RoleMatrix()
    {
        var actors = await Actors.CreateAsync(_app);
        var (_, caller) = await _app.CreateKeyAsync(new { name = "customer-1", role = "caller", agents = new[] { "*" } });
        var (_, acmeAgent) = await _app.CreateKeyAsync(new { name = "agent-1", role = "agent" }, actors.AcmeAdmin.Key);
        var (revokedAgentId, revokedAgent) = await _app.CreateKeyAsync(new { name = "agent-r", role = "agent" });
        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{revokedAgentId}/revoke", null)).StatusCode);
        }

        var body = new { key = caller };
        Assert.True((await VerifyAsync(_app.ClientWith(actors.Agent.Key), body))["valid"]!.GetValue<bool>());
        Assert.Equal("unknown", (await VerifyAsync(_app.ClientWith(acmeAgent), body))["reason"]!.GetValue<string>());
        foreach (var key in new[] { actors.Bootstrap, actors.OtherAdmin.Key, actors.AcmeAdmin.Key, actors.Responder.Key, caller })
        {
            await Actors.AssertProblemAsync(await actors.PostAsync(key, "/v1/inbound/verify", body), HttpStatusCode.Forbidden);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await actors.PostAsync(revokedAgent, "/v1/inbound/verify", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await actors.PostAsync(actors.Revoked.Key, "/v1/inbound/verify", body)).StatusCode);
    }

    [Fact]
    public async Task VerifyAs_IsAnAgentGrant_ValidatedLikeCredentials_AndShownOnCreateAndList()
    {
        using var admin = _app.Admin();
        foreach (var role in new[] { "admin", "responder", "caller" })
        {
            var problem = await Actors.AssertProblemAsync(await admin.PostAsJsonAsync("/v1/keys", new { name = "x-" + role, role, verifyAs = new[] { "*" } }), HttpStatusCode.BadRequest);
            Assert.NotNull(problem["errors"]!["verifyAs"]);
        }

        foreach (var bad in new object[] { new[] { "has space" }, new[] { "" }, Enumerable.Repeat("a", 65).ToArray() })
        {
            var problem = await Actors.AssertProblemAsync(await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "agent", verifyAs = bad }), HttpStatusCode.BadRequest);
            Assert.NotNull(problem["errors"]!["verifyAs"]);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "agent", verifyAs = "*" })).StatusCode);

        var created = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync("/v1/keys", new { name = "runtime-1", role = "agent", verifyAs = new[] { "support-*" } }));
        Assert.Equal(["support-*"], created["verifyAs"]!.AsArray().Select(p => p!.GetValue<string>()));
        var plainId = (await _app.CreateKeyAsync(new { name = "plain", role = "agent" })).Id;
        var callerId = (await _app.CreateKeyAsync(new { name = "c", role = "caller" })).Id;

        var items = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray();
        JsonArray VerifyAsOf(string id) => items.Single(i => i!["id"]!.GetValue<string>() == id)!["verifyAs"]!.AsArray();
        Assert.Equal(["support-*"], VerifyAsOf(created["id"]!.GetValue<string>()).Select(p => p!.GetValue<string>()));
        Assert.Empty(VerifyAsOf(plainId));
        Assert.Empty(VerifyAsOf(callerId));
    }

    [Fact]
    public async Task AgentKeysCreatedBeforeTheGrant_KeepVerifyingForAnyName()
    {
        var dataDir = BrokerApp.NewDataDir();
        Directory.CreateDirectory(dataDir);
        var oldAgentSecret = KeySecrets.NewSecret();
        var database = new SqliteDatabase(Path.Combine(dataDir, "broker.db"));
        using (var connection = database.Open())
        {
            const string journal = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";
            var before = MigrationRunner.LoadEmbedded(typeof(SqliteMigrations).Assembly, "migrations/sqlite/").Where(m => m.Version < 5).ToList();
            MigrationRunner.Apply(connection, before, journal);
            using var insert = connection.CreateCommand();
            insert.CommandText =
                """
                INSERT INTO api_keys (id, tenant, name, role, prefix, credential_patterns, agent_patterns, created_at, is_bootstrap)
                VALUES ('key_old_agent', 'default', 'old-runtime', 'agent', $prefix, '[]', '[]', $now, 0);
                INSERT INTO key_secrets (hash, key_id, expires_at) VALUES ($hash, 'key_old_agent', NULL);
                """;
            insert.Parameters.AddWithValue("$prefix", KeySecrets.PrefixOf(oldAgentSecret));
            insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$hash", KeySecrets.Hash(oldAgentSecret));
            insert.ExecuteNonQuery();
            SqliteConnection.ClearPool(connection);
        }

        using var app = new BrokerApp(dataDir: dataDir);
        var (_, caller) = await app.CreateKeyAsync(new { name = "customer-1", role = "caller", agents = new[] { "support-agent" } });
        using var oldAgent = app.ClientWith(oldAgentSecret);
        Assert.True((await VerifyAsync(oldAgent, new { key = caller, agent = "support-agent" }))["valid"]!.GetValue<bool>());

        using var admin = app.Admin();
        var items = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray();
        Assert.Equal(["*"], items.Single(i => i!["id"]!.GetValue<string>() == "key_old_agent")!["verifyAs"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Empty(items.Single(i => i!["name"]!.GetValue<string>() == "bootstrap-admin")!["verifyAs"]!.AsArray());
    }
}
