using System.Net;
using System.Net.Http.Json;
using System.Text;
using Broker.Credentials;
using Broker.Keys;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Credentials;
using Broker.Storage.Sqlite.Keys;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static Broker.Server.Tests.AuditTrail;

namespace Broker.Server.Tests;

/// <summary>
/// Every write route records the truth: a refused write (400, 404, 409, 412) is recorded <c>denied</c> with its reason
/// and never <c>allowed</c>; a write refused or failed after its <c>allowed</c> record (a race, a store failure) gets a
/// second record with the same request id that says so.
/// </summary>
public sealed class WriteAuditTests : IDisposable
{
    private readonly BrokerApp _app = new(services: s =>
    {
        s.Replace(ServiceDescriptor.Singleton<ICredentialStore>(sp => new InterleavingCredentialStore(new SqliteCredentialStore(sp.GetRequiredService<SqliteDatabase>()))));
        s.Replace(ServiceDescriptor.Singleton<IKeyStore>(sp => new InterleavingKeyStore(new SqliteKeyStore(sp.GetRequiredService<SqliteDatabase>()))));
    });

    public void Dispose() => _app.Dispose();

    private InterleavingCredentialStore Credentials => (InterleavingCredentialStore)_app.Services.GetRequiredService<ICredentialStore>();

    private InterleavingKeyStore Keys => (InterleavingKeyStore)_app.Services.GetRequiredService<IKeyStore>();

    [Fact]
    public async Task Put_WithIfMatchOfAbsentOrStaleVersion_Returns412_AndIsRecordedDeniedNeverAllowed()
    {
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await admin.SendAsync(Put("db_pass", "v1-secret", ifMatch: "\"1\""))).StatusCode);
        await _app.PutAsync("db_pass", "v1-secret");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await admin.SendAsync(Put("db_pass", "v2-secret", ifMatch: "\"7\""))).StatusCode);

        var records = await ReadAsync(_app, "credential.write", "db_pass");
        Assert.Equal(
            [("denied", "precondition_failed ifMatch=1"), ("allowed", null), ("denied", "precondition_failed ifMatch=7 current=1")],
            Decisions(records));
    }

    [Fact]
    public async Task Put_WithInvalidValueKindNameOrIfMatch_Returns400_AndIsRecordedDeniedValidation()
    {
        using var admin = _app.Admin();
        var refused = new[]
        {
            await admin.PutAsJsonAsync("/v1/credentials/aws_main", new { kind = "aws", value = "not-json-secret" }),
            await admin.PutAsJsonAsync("/v1/credentials/empty", new { value = "" }),
            await admin.PutAsJsonAsync("/v1/credentials/kinds", new { value = "x-secret", kind = "ssh" }),
            await admin.PutAsJsonAsync("/v1/credentials/BAD%20NAME", new { value = "x-secret" }),
            await admin.SendAsync(Put("header", "x-secret", ifMatch: "version-three")),
        };

        Assert.All(refused, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        var records = await ReadAsync(_app, "credential.write");
        Assert.Equal(
            [("denied", "validation fields=value"), ("denied", "validation fields=value"), ("denied", "validation fields=kind"), ("denied", "validation fields=name"), ("denied", "validation fields=If-Match")],
            Decisions(records));
        Assert.Equal(["aws_main", "empty", "kinds", "BAD NAME", "header"], records.Select(r => Str(r, "target")));
        Assert.Empty((await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials")))["items"]!.AsArray());
    }

    [Fact]
    public async Task Put_WithAnUnreadableBody_Returns400_AndIsRecordedDenied()
    {
        using var admin = _app.Admin();
        using var content = new StringContent("{\"value\": ", Encoding.UTF8, "application/json");
        var response = await admin.PutAsync("/v1/credentials/broken?subject=alice", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var record = Assert.Single(await ReadAsync(_app, "credential.write"));
        Assert.Equal(("denied", "validation fields=body"), (Str(record, "outcome"), Str(record, "reason")));
        Assert.Equal("broken?subject=alice", Str(record, "target"));
    }

    [Fact]
    public async Task Put_WhenTheVersionMovesAfterTheCheck_Returns412_AndAnAllowedRecordIsFollowedByDeniedForTheSameRequest()
    {
        await _app.PutAsync("db_pass", "v1-secret");
        var service = _app.Services.GetRequiredService<CredentialService>();
        Credentials.BeforeNextWrite(() => service.PutAsync("default", "db_pass", null, "written-meanwhile", null, null, null));

        using var admin = _app.Admin();
        var response = await admin.SendAsync(Put("db_pass", "mine", ifMatch: "\"1\""));

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        var requestId = (await BrokerApp.JsonAsync(response))["requestId"]?.GetValue<string>();
        var records = (await ReadAsync(_app, "credential.write", "db_pass")).Skip(1).ToArray();
        Assert.Equal([("allowed", "ifMatch=1"), ("denied", "precondition_failed ifMatch=1 current=2")], Decisions(records));
        Assert.All(records, r => Assert.Equal(requestId ?? Str(records[0], "requestId"), Str(r, "requestId")));
        Assert.Equal(2, (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials/db_pass")))["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task Put_WhenTheStoreFails_Returns500_AndAnAllowedRecordIsFollowedByErrorForTheSameRequest()
    {
        await _app.PutAsync("db_pass", "v1-secret");
        Credentials.FailNextWrite();

        using var admin = _app.Admin();
        var response = await admin.PutAsJsonAsync("/v1/credentials/db_pass", new { value = "v2-secret" });

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var requestId = (await BrokerApp.JsonAsync(response))["requestId"]!.GetValue<string>();
        var records = (await ReadAsync(_app, "credential.write", "db_pass")).Skip(1).ToArray();
        Assert.Equal([("allowed", null), ("error", "failed")], Decisions(records));
        Assert.All(records, r => Assert.Equal(requestId, Str(r, "requestId")));
        Assert.Equal(1, (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials/db_pass")))["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task PutAndDelete_ThatSucceed_AreRecordedOnceAllowed()
    {
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/db_pass", new { value = "v1-secret" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(Put("db_pass", "v2-secret", ifMatch: "\"1\""))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/credentials/db_pass")).StatusCode);

        Assert.Equal([("allowed", null), ("allowed", "ifMatch=1")], Decisions(await ReadAsync(_app, "credential.write", "db_pass")));
        Assert.Equal([("allowed", null)], Decisions(await ReadAsync(_app, "credential.delete", "db_pass")));
    }

    [Fact]
    public async Task Delete_OfAnAbsentCredential_OrAnotherTenants_Returns404_AndIsRecordedDeniedNotFound()
    {
        await _app.PutAsync("shared_secret", "default-tenant-value");
        var (_, acmeAdmin) = await _app.CreateKeyAsync(new { name = "acme-admin", role = "admin", tenant = "acme" });
        using var admin = _app.Admin();
        using var acme = _app.ClientWith(acmeAdmin);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/v1/credentials/never_written")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/v1/credentials/shared_secret?subject=alice")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await acme.DeleteAsync("/v1/credentials/shared_secret")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.DeleteAsync("/v1/credentials/BAD%20NAME")).StatusCode);

        Assert.Equal(
            [("denied", "not_found"), ("denied", "not_found"), ("denied", "validation fields=name")],
            Decisions(await ReadAsync(_app, "credential.delete")));
        Assert.Equal([("denied", "not_found")], Decisions(await ReadAsync(_app, "credential.delete", asKey: acmeAdmin)));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/credentials/shared_secret")).StatusCode);
    }

    [Fact]
    public async Task Delete_OfANameWithOnlyPerSubjectValues_Returns204_AndIsRecordedAllowed()
    {
        await _app.PutAsync("per_user", "alice-value", subject: "alice");
        using var admin = _app.Admin();

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/credentials/per_user")).StatusCode);
        Assert.Equal([("allowed", null)], Decisions(await ReadAsync(_app, "credential.delete", "per_user")));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/credentials/per_user?subject=alice")).StatusCode);
    }

    [Fact]
    public async Task Delete_WhenGoneAfterTheCheck_Returns404_AndAnAllowedRecordIsFollowedByDenied()
    {
        await _app.PutAsync("db_pass", "v1-secret");
        var service = _app.Services.GetRequiredService<CredentialService>();
        Credentials.BeforeNextDelete(() => service.DeleteAsync("default", "db_pass", null));

        using var admin = _app.Admin();
        var response = await admin.DeleteAsync("/v1/credentials/db_pass");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var records = await ReadAsync(_app, "credential.delete", "db_pass");
        Assert.Equal([("allowed", null), ("denied", "not_found")], Decisions(records));
        Assert.Equal(Str(records[0], "requestId"), Str(records[1], "requestId"));
    }

    [Fact]
    public async Task Rotate_OfAnUnknownOrAnotherTenantsKey_Returns404_AndIsRecordedDeniedNotFound()
    {
        var (acmeAdminId, acmeAdmin) = await _app.CreateKeyAsync(new { name = "acme-admin", role = "admin", tenant = "acme" });
        using var admin = _app.Admin();

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync("/v1/keys/key_does_not_exist/rotate", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync($"/v1/keys/{acmeAdminId}/rotate", new { })).StatusCode);

        Assert.Equal([("denied", "not_found"), ("denied", "not_found")], Decisions(await ReadAsync(_app, "key.rotate")));
        Assert.Equal(["key_does_not_exist", acmeAdminId], (await ReadAsync(_app, "key.rotate")).Select(r => Str(r, "target")));
        Assert.Empty(await ReadAsync(_app, "key.rotate", asKey: acmeAdmin));
    }

    [Fact]
    public async Task Rotate_OfARevokedKey_Returns409_AndOfAnInvalidGrace_Returns400_BothRecordedDenied()
    {
        var (revokedId, _) = await _app.CreateKeyAsync(new { name = "gone", role = "caller" });
        var (activeId, active) = await _app.CreateKeyAsync(new { name = "kept", role = "caller" });
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{revokedId}/revoke", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/v1/keys/{revokedId}/rotate", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync($"/v1/keys/{activeId}/rotate", new { graceSeconds = -1 })).StatusCode);

        Assert.Equal([("denied", "conflict"), ("denied", "validation fields=graceSeconds")], Decisions(await ReadAsync(_app, "key.rotate")));
        var key = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray().Single(k => k!["id"]!.GetValue<string>() == activeId)!;
        Assert.Equal(active[..12], key["prefix"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rotate_WhenRevokedAfterTheCheck_Returns404_AndAnAllowedRecordIsFollowedByDenied()
    {
        var (id, _) = await _app.CreateKeyAsync(new { name = "racing", role = "caller" });
        Keys.BeforeNextRotate(() => Keys.RevokeAsync("default", id, DateTimeOffset.UtcNow));

        using var admin = _app.Admin();
        var response = await admin.PostAsJsonAsync($"/v1/keys/{id}/rotate", new { graceSeconds = 30 });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var records = await ReadAsync(_app, "key.rotate", id);
        Assert.Equal([("allowed", "grace=30"), ("denied", "not_found")], Decisions(records));
        Assert.Equal(Str(records[0], "requestId"), Str(records[1], "requestId"));
    }

    [Fact]
    public async Task Rotate_ThatSucceeds_IsRecordedOnceAllowed()
    {
        var (id, _) = await _app.CreateKeyAsync(new { name = "rotated", role = "caller" });
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/v1/keys/{id}/rotate", new { graceSeconds = 5 })).StatusCode);
        Assert.Equal([("allowed", "grace=5")], Decisions(await ReadAsync(_app, "key.rotate", id)));
    }

    [Fact]
    public async Task Create_Invalid_Returns400_AndInAnotherTenant_Returns403_BothRecordedDenied()
    {
        var (_, acmeAdmin) = await _app.CreateKeyAsync(new { name = "acme-admin", role = "admin", tenant = "acme" });
        using var admin = _app.Admin();
        using var acme = _app.ClientWith(acmeAdmin);

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "wizard" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await acme.PostAsJsonAsync("/v1/keys", new { name = "y", role = "admin", tenant = "default" })).StatusCode);

        var records = (await ReadAsync(_app, "key.create")).Where(r => Str(r, "outcome") != "allowed");
        Assert.Equal([("denied", "validation fields=role")], Decisions(records));
        Assert.Equal([("allowed", "role=admin"), ("denied", "other_tenant")], Decisions(await ReadAsync(_app, "key.create", asKey: acmeAdmin)));
    }

    [Fact]
    public async Task Create_WhenTheStoreFails_Returns500_AndAnAllowedRecordIsFollowedByError()
    {
        Keys.FailNextInsert();
        using var admin = _app.Admin();
        var response = await admin.PostAsJsonAsync("/v1/keys", new { name = "unlucky", role = "agent" });

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var records = await ReadAsync(_app, "key.create", "name=unlucky");
        Assert.Equal([("allowed", "role=agent"), ("error", "failed")], Decisions(records));
        Assert.Equal(Str(records[0], "requestId"), Str(records[1], "requestId"));
        Assert.DoesNotContain((await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray(), k => k!["name"]!.GetValue<string>() == "unlucky");
    }

    [Fact]
    public async Task Revoke_OfAnUnknownOrAnotherTenantsKey_Returns404_AndIsRecordedDeniedNotFound()
    {
        var (acmeAdminId, _) = await _app.CreateKeyAsync(new { name = "acme-admin", role = "admin", tenant = "acme" });
        var (_, responder) = await _app.CreateKeyAsync(new { name = "oncall", role = "responder" });
        using var client = _app.ClientWith(responder);

        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/v1/keys/key_does_not_exist/revoke", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/v1/keys/{acmeAdminId}/revoke", null)).StatusCode);

        Assert.Equal([("denied", "not_found"), ("denied", "not_found")], Decisions(await ReadAsync(_app, "key.revoke")));
    }

    [Fact]
    public async Task RevokeLeaked_WithNoMatchOrNoKey_IsRecordedDenied_AndAMatchIsRecordedAllowed()
    {
        var (leakedId, leaked) = await _app.CreateKeyAsync(new { name = "leaky", role = "caller" });
        var (_, responder) = await _app.CreateKeyAsync(new { name = "oncall", role = "responder" });
        using var client = _app.ClientWith(responder);

        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/v1/keys/revoke-leaked", new { key = "brk_not-a-key-of-ours-aaaaaaaaaaaa" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/v1/keys/revoke-leaked", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/keys/revoke-leaked", new { key = leaked })).StatusCode);

        var records = await ReadAsync(_app, "key.revoke_leaked");
        Assert.Equal([("denied", "not_found"), ("denied", "validation fields=key"), ("allowed", null)], Decisions(records));
        Assert.Equal(["unmatched", "unmatched", leakedId], records.Select(r => Str(r, "target")));
    }

    private static HttpRequestMessage Put(string name, string value, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/credentials/{name}") { Content = JsonContent.Create(new { value }) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return request;
    }
}
