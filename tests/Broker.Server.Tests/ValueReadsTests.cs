using System.Net;
using System.Net.Http.Json;
using Broker.Audit;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Audit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using static Broker.Server.Tests.AuditTrail;

namespace Broker.Server.Tests;

/// <summary>
/// <c>POST /v1/audit/value-reads</c> is an oracle for guessed values: each question is audited (never with the value
/// or its HMAC) and each key may ask only so many per minute.
/// </summary>
public sealed class ValueReadsTests
{
    private const string StoredValue = "sk-value-reads-stored-0123456789";

    [Fact]
    public async Task ValueReads_IsRecordedWithTheNumberOfMatches_NeverTheValueNorItsHmac()
    {
        using var app = new BrokerApp();
        await app.PutAsync("openai_key", StoredValue);
        var (_, agent) = await app.CreateKeyAsync(new { name = "agent-1", role = "agent", credentials = new[] { "*" } });
        using (var client = app.ClientWith(agent))
        {
            await client.GetAsync("/v1/agent/credentials/openai_key");
            await client.GetAsync("/v1/agent/credentials/openai_key");
        }

        using var admin = app.Admin();
        var found = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = StoredValue }));
        const string guess = "sk-a-guess-never-stored-42";
        var none = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = guess }));

        Assert.Equal(2, found["items"]!.AsArray().Count);
        Assert.Empty(none["items"]!.AsArray());
        var records = await ReadAsync(app, AuditActions.AuditValueReads);
        Assert.Equal([("allowed", "matches=2"), ("allowed", "matches=0")], Decisions(records));
        Assert.All(records, r => Assert.Equal("value", Str(r, "target")));
        Assert.All(records, r => Assert.Null(r["valueHmac"]));

        var trail = string.Join('\n', (await ReadAsync(app)).Select(r => r.ToJsonString()));
        var hmac = app.Services.GetRequiredService<AuditValueHmac>();
        Assert.DoesNotContain(guess, trail, StringComparison.Ordinal);
        Assert.DoesNotContain(hmac.Compute("default", guess), trail, StringComparison.Ordinal);

        // The question itself is not findable by the value: only the two reads match.
        Assert.Equal(2, (await BrokerApp.JsonAsync(await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = StoredValue })))["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task ValueReads_OverThePerKeyLimit_Returns429WithRetryAfter_IsRecordedDenied_AndOtherKeysStillAsk()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        using var app = new BrokerApp(time, settings: new() { ["Broker:Audit:ValueReadsPerMinute"] = "2" });
        var (otherAdminId, otherAdmin) = await app.CreateKeyAsync(new { name = "admin-2", role = "admin" });
        using var admin = app.Admin();
        using var other = app.ClientWith(otherAdmin);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = "guess-1" })).StatusCode);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = "guess-2" })).StatusCode);
        var limited = await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = "guess-3" });

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(40), limited.Headers.RetryAfter?.Delta);
        var problem = await BrokerApp.JsonAsync(limited);
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        Assert.DoesNotContain("guess-3", problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await other.PostAsJsonAsync("/v1/audit/value-reads", new { value = "guess-4" })).StatusCode);

        // The window slides: 40 s later the first question has left it.
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = "guess-5" })).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = "guess-6" })).StatusCode);

        var records = await ReadAsync(app, AuditActions.AuditValueReads);
        Assert.Equal(
            [("allowed", "matches=0"), ("allowed", "matches=0"), ("denied", "rate_limited perMinute=2"), ("allowed", "matches=0"), ("allowed", "matches=0"), ("denied", "rate_limited perMinute=2")],
            Decisions(records));
        Assert.Equal(otherAdminId, records[3]["actor"]!["keyId"]!.GetValue<string>());
    }

    [Fact]
    public async Task ValueReads_WithoutAValue_Returns400_AndIsRecordedDenied()
    {
        using var app = new BrokerApp();
        using var admin = app.Admin();

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = "" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/v1/audit/value-reads", new[] { 1, 2 })).StatusCode);

        Assert.Equal([("denied", "validation fields=value"), ("denied", "validation fields=body")], Decisions(await ReadAsync(app, AuditActions.AuditValueReads)));
    }

    [Fact]
    public async Task ValueReads_ByEachRole_AnotherTenant_AndARevokedKey()
    {
        using var app = new BrokerApp();
        await app.PutAsync("openai_key", StoredValue);
        var (_, agent) = await app.CreateKeyAsync(new { name = "agent-1", role = "agent", credentials = new[] { "*" } });
        var (_, responder) = await app.CreateKeyAsync(new { name = "oncall", role = "responder" });
        var (_, caller) = await app.CreateKeyAsync(new { name = "customer", role = "caller" });
        var (revokedId, revoked) = await app.CreateKeyAsync(new { name = "old-admin", role = "admin" });
        var (_, acmeAdmin) = await app.CreateKeyAsync(new { name = "acme-admin", role = "admin", tenant = "acme" });
        using (var client = app.ClientWith(agent))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/agent/credentials/openai_key")).StatusCode);
        }

        using (var admin = app.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{revokedId}/revoke", null)).StatusCode);
        }

        async Task<HttpResponseMessage> Ask(string key)
        {
            using var client = app.ClientWith(key);
            return await client.PostAsJsonAsync("/v1/audit/value-reads", new { value = StoredValue });
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await Ask(agent)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Ask(responder)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Ask(caller)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Ask(revoked)).StatusCode);

        // Another tenant learns nothing of this tenant's reads, and its question lands in its own trail only.
        var acme = await Ask(acmeAdmin);
        Assert.Equal(HttpStatusCode.OK, acme.StatusCode);
        Assert.Empty((await BrokerApp.JsonAsync(acme))["items"]!.AsArray());
        Assert.Equal([("allowed", "matches=0")], Decisions(await ReadAsync(app, AuditActions.AuditValueReads, asKey: acmeAdmin)));
        Assert.Empty(await ReadAsync(app, AuditActions.AuditValueReads));
        Assert.Equal(4, (await ReadAsync(app, AuditActions.RequestDenied)).Count);
    }

    [Fact]
    public async Task ValueReads_WhileTheAuditTrailIsDown_Returns503_AndAnswersNothing()
    {
        SwitchableAuditStore? audit = null;
        using var app = new BrokerApp(services: s => s.Replace(ServiceDescriptor.Singleton<IAuditStore>(sp =>
            audit = new SwitchableAuditStore(new SqliteAuditStore(sp.GetRequiredService<SqliteDatabase>())))));
        await app.PutAsync("openai_key", StoredValue);
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = StoredValue })).StatusCode);

        audit!.Fail = true;
        var response = await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = StoredValue });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("\"items\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void ValueReadsPerMinute_BelowOne_StopsTheStart()
    {
        using var app = new BrokerApp(settings: new() { ["Broker:Audit:ValueReadsPerMinute"] = "0" });
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("ValueReadsPerMinute", error.ToString(), StringComparison.Ordinal);
    }
    [Fact]
    public async Task ValueReads_AfterAMasterKeyRotation_StillFindReadsMadeBefore_AndANewReplicaSharesTheKey()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n"));
        var oldKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var newKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        try
        {
            await using (var before = new BrokerApp(settings: new() { ["Broker:MasterKey"] = oldKey }, dataDir: dataDir))
            {
                await before.PutAsync("openai_key", StoredValue);
                var (_, agent) = await before.CreateKeyAsync(new { name = "agent-1", role = "agent", credentials = new[] { "*" } });
                using var client = before.ClientWith(agent);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/agent/credentials/openai_key")).StatusCode);
                using var newKek = new Broker.Vault.MasterKeyEncryptionKey(newKey);
                await Broker.Server.Commands.RewrapCommand.RewrapToMasterKeyAsync(before.Services, newKek);
            }

            // The broker restarted on the new master key, with a data directory of its own (another replica's): the
            // value-HMAC key comes from the store, so the read made under the old key is still found by its value.
            var otherDir = Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n"));
            Directory.CreateDirectory(otherDir);
            foreach (var file in new[] { "broker.db", "broker.db-wal" }.Where(f => File.Exists(Path.Combine(dataDir, f))))
            {
                File.Copy(Path.Combine(dataDir, file), Path.Combine(otherDir, file));
            }
            await using var after = new BrokerApp(settings: new() { ["Broker:MasterKey"] = Convert.ToBase64String(newKey) }, dataDir: otherDir);
            using var admin = after.Admin();
            var found = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync("/v1/audit/value-reads", new { value = StoredValue }));

            var read = Assert.Single(found["items"]!.AsArray());
            Assert.Equal("openai_key", read!["target"]!.GetValue<string>());
            Directory.Delete(otherDir, recursive: true);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
    [Fact]
    public async Task AnUpgradedBroker_SeedsTheStoredKeyWithItsEarlierKeyFile_SoEarlierReadsStayFindable()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n"));
        var earlier = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        try
        {
            await using (var first = new BrokerApp(dataDir: dataDir))
            {
                first.CreateClient().Dispose();

                // What a broker before migration 0014 left: its key in data/audit-hmac.key under the key ring, and no
                // audit_sealed_keys table.
                var protector = first.Services.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>()
                    .CreateProtector("Broker.Audit.ValueHmac.v1");
                await File.WriteAllBytesAsync(Path.Combine(dataDir, "audit-hmac.key"), protector.Protect(earlier));
            }

            using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDir, "broker.db")};Pooling=False"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "DROP TABLE audit_sealed_keys; DELETE FROM schema_migrations WHERE version = 14";
                command.ExecuteNonQuery();
            }

            // A file the key ring cannot open refuses the start and says how to go on, rather than losing the key silently.
            var keyFile = Path.Combine(dataDir, "audit-hmac.key");
            var good = await File.ReadAllBytesAsync(keyFile);
            await File.WriteAllBytesAsync(keyFile, [1, 2, 3, 4]);
            await using (var refused = new BrokerApp(dataDir: dataDir))
            {
                var ex = Assert.ThrowsAny<Exception>(() => refused.CreateClient());
                var why = ex as Broker.Core.BrokerOperationException ?? ex.InnerException as Broker.Core.BrokerOperationException;
                Assert.NotNull(why);
                Assert.Contains("delete the file to start with a new key", why.Message, StringComparison.Ordinal);
            }

            await File.WriteAllBytesAsync(keyFile, good);
            await using var upgraded = new BrokerApp(dataDir: dataDir);
            upgraded.CreateClient().Dispose();

            Assert.Equal(
                new AuditValueHmac(new StaticValueHmacKeySource(earlier)).Compute("default", StoredValue),
                upgraded.Services.GetRequiredService<AuditValueHmac>().Compute("default", StoredValue));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
