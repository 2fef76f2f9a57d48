using System.Net;
using System.Net.Http.Json;
using Broker.Audit;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Audit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Broker.Server.Tests;

public sealed class AuditApiTests : IDisposable
{
    private readonly BrokerApp _app;
    private SwitchableAuditStore? _audit;

    public AuditApiTests() => _app = new BrokerApp(services: s => s.Replace(ServiceDescriptor.Singleton<IAuditStore>(sp =>
        _audit = new SwitchableAuditStore(new SqliteAuditStore(sp.GetRequiredService<SqliteDatabase>())))));

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task EveryDecision_IsRecorded_AndTheChainVerifies()
    {
        await _app.PutAsync("openai_key", "sk-audited-value-1");
        var (agentId, agent) = await _app.CreateKeyAsync(new { name = "agent-1", role = "agent", credentials = new[] { "openai_*" } });
        using (var client = _app.ClientWith(agent))
        {
            await client.GetAsync("/v1/agent/credentials");
            await client.GetAsync("/v1/agent/credentials/openai_key");
            await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://api", task = "t1" });
            await client.GetAsync("/v1/credentials"); // 403
        }

        using (var bad = _app.ClientWith("brk_wrong-key-aaaaaaaaaaaaaaaaaaaaa"))
        {
            await bad.GetAsync("/v1/credentials"); // 401
        }

        using var admin = _app.Admin();
        var list = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?limit=1000"));
        var items = list["items"]!.AsArray();
        var actions = items.Select(i => i!["action"]!.GetValue<string>()).ToList();
        Assert.Contains(AuditActions.CredentialWrite, actions);
        Assert.Contains(AuditActions.KeyCreate, actions);
        Assert.Equal(2, actions.Count(a => a == AuditActions.CredentialRead));
        Assert.Contains(AuditActions.TokenMint, actions);
        Assert.Equal(2, actions.Count(a => a == AuditActions.RequestDenied));
        var read = items.First(i => i!["action"]!.GetValue<string>() == AuditActions.CredentialRead)!;
        Assert.Equal(agentId, read["actor"]!["keyId"]!.GetValue<string>());
        Assert.Equal("agent", read["actor"]!["role"]!.GetValue<string>());
        foreach (var field in new[] { "id", "time", "tenant", "actor", "action", "target", "outcome", "requestId", "prevHash", "hash" })
        {
            Assert.NotNull(read[field]);
        }

        Assert.DoesNotContain("sk-audited-value-1", list.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(agent, list.ToJsonString(), StringComparison.Ordinal);

        var filtered = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?action=token.mint")))["items"]!.AsArray();
        Assert.Single(filtered);
        var verify = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit/verify"));
        Assert.True(verify["valid"]!.GetValue<bool>());
        Assert.Equal(items.Count, verify["count"]!.GetValue<int>());

        // "Was this secret read?" by value, matched through the keyed HMAC
        var reads = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = "sk-audited-value-1" }));
        Assert.Equal(2, reads["items"]!.AsArray().Count);
        var none = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = "sk-never-stored" }));
        Assert.Empty(none["items"]!.AsArray());
    }

    [Fact]
    public async Task Verify_DetectsAnEditedRecord_InTheDatabaseFile()
    {
        for (var i = 0; i < 5; i++)
        {
            await _app.PutAsync("c" + i, "value-" + i + "-xxxxxx");
        }

        using var admin = _app.Admin();
        Assert.True((await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit/verify")))["valid"]!.GetValue<bool>());
        var database = _app.Services.GetRequiredService<SqliteDatabase>();
        using (var connection = database.Open())
        {
            using var drop = connection.CreateCommand();
            drop.CommandText = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_records'";
            var triggers = new List<string>();
            using (var reader = drop.ExecuteReader())
            {
                while (reader.Read())
                {
                    triggers.Add(reader.GetString(0));
                }
            }

            foreach (var trigger in triggers)
            {
                using var command = connection.CreateCommand();
                command.CommandText = $"DROP TRIGGER \"{trigger}\"";
                command.ExecuteNonQuery();
            }

            using var edit = connection.CreateCommand();
            edit.CommandText = "UPDATE audit_records SET target = 'c-edited' WHERE tenant = 'default' AND id = 3";
            Assert.Equal(1, edit.ExecuteNonQuery());
        }

        var verify = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit/verify"));
        Assert.False(verify["valid"]!.GetValue<bool>());
        Assert.Equal(3, verify["brokenAt"]!.GetValue<int>());
    }

    [Fact]
    public async Task AuditDown_SecretReadsMintsAndWrites_Fail503_AndServeNothing()
    {
        await _app.PutAsync("openai_key", "sk-must-not-leak-1");
        var (_, agent) = await _app.CreateKeyAsync(new { name = "agent-1", role = "agent", credentials = new[] { "*" } });
        using var client = _app.ClientWith(agent);
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/agent/credentials/openai_key")).StatusCode);

        _audit!.Fail = true;
        var responses = new[]
        {
            await client.GetAsync("/v1/agent/credentials"),
            await client.GetAsync("/v1/agent/credentials/openai_key"),
            await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://api", task = "t1" }),
            await admin.PutAsJsonAsync("/v1/credentials/openai_key", new { value = "sk-changed-while-down" }),
            await admin.DeleteAsync("/v1/credentials/openai_key"),
            await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "agent" }),
        };

        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("sk-must-not-leak-1", body, StringComparison.Ordinal);
            Assert.DoesNotContain("eyJ", body, StringComparison.Ordinal);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // nothing changed while the trail was down
        _audit.Fail = false;
        var value = await BrokerApp.JsonAsync(await client.GetAsync("/v1/agent/credentials/openai_key"));
        Assert.Equal("sk-must-not-leak-1", value["value"]!.GetValue<string>());
        Assert.Equal(1, value["version"]!.GetValue<int>());
        Assert.True((await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit/verify")))["valid"]!.GetValue<bool>());
    }
}
