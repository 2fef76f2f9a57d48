using System.Net;
using System.Net.Http.Json;
using Broker.Core;

namespace Broker.Server.Tests;

/// <summary>Only the bootstrap admin key changes the bootstrap admin key, and no rotation makes a bootstrap key.</summary>
public sealed class BootstrapKeyTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    private async Task AssertBootstrapStillWorksAsync(string key)
    {
        using var client = _app.ClientWith(key);
        using var response = await client.PostAsJsonAsync("/v1/keys", new { name = "probe-" + Guid.NewGuid().ToString("n")[..8], role = "caller", tenant = "other-tenant" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Rotate_OfBootstrapKeyByAnyOtherKey_IsRefused_AndChangesNothing()
    {
        var actors = await Actors.CreateAsync(_app);
        var url = $"/v1/keys/{actors.BootstrapId}/rotate";

        // The reported takeover: another admin of tenant default rotating the bootstrap key it can see in the list.
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.OtherAdmin.Key, url, new { graceSeconds = 60 }), HttpStatusCode.Forbidden, BootstrapRule.ChangeBootstrapKey);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.AcmeAdmin.Key, url, new { }), HttpStatusCode.NotFound);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Responder.Key, url, new { }), HttpStatusCode.Forbidden);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Agent.Key, url, new { }), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, (await actors.PostAsync(actors.Revoked.Key, url, new { })).StatusCode);

        await AssertBootstrapStillWorksAsync(actors.Bootstrap);
        var rotations = await actors.AuditAsync("key.rotate");
        Assert.Contains(rotations, r => Actors.IsDenial(r, actors.OtherAdmin.Id, BootstrapRule.Reason) && r["target"]!.GetValue<string>() == actors.BootstrapId);
        Assert.DoesNotContain(rotations, r => r["outcome"]!.GetValue<string>() == "allowed");
    }

    [Fact]
    public async Task Revoke_OfBootstrapKeyByAnyOtherKey_IsRefused_AndChangesNothing()
    {
        var actors = await Actors.CreateAsync(_app);
        var url = $"/v1/keys/{actors.BootstrapId}/revoke";

        await Actors.AssertProblemAsync(await actors.PostAsync(actors.OtherAdmin.Key, url), HttpStatusCode.Forbidden, BootstrapRule.ChangeBootstrapKey);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Responder.Key, url), HttpStatusCode.Forbidden, BootstrapRule.ChangeBootstrapKey);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.AcmeAdmin.Key, url), HttpStatusCode.NotFound);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Agent.Key, url), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, (await actors.PostAsync(actors.Revoked.Key, url)).StatusCode);

        await AssertBootstrapStillWorksAsync(actors.Bootstrap);
        var revokes = await actors.AuditAsync("key.revoke");
        Assert.Contains(revokes, r => Actors.IsDenial(r, actors.OtherAdmin.Id, BootstrapRule.Reason));
        Assert.Contains(revokes, r => Actors.IsDenial(r, actors.Responder.Id, BootstrapRule.Reason));
        Assert.DoesNotContain(revokes, r => r["target"]!.GetValue<string>() == actors.BootstrapId && r["outcome"]!.GetValue<string>() == "allowed");
    }

    [Fact]
    public async Task Revoke_OfBootstrapKeyByItself_StopsIt()
    {
        var actors = await Actors.CreateAsync(_app);
        Assert.Equal(HttpStatusCode.OK, (await actors.PostAsync(actors.Bootstrap, $"/v1/keys/{actors.BootstrapId}/revoke")).StatusCode);
        using var dead = _app.Admin();
        Assert.Equal(HttpStatusCode.Unauthorized, (await dead.GetAsync("/v1/keys")).StatusCode);
    }

    [Fact]
    public async Task RevokeLeaked_OfTheBootstrapKeyValue_ByAResponder_KillsIt()
    {
        // Whoever pastes the bootstrap key's value holds a leaked copy: killing it is the safe answer.
        var actors = await Actors.CreateAsync(_app);
        var response = await actors.PostAsync(actors.Responder.Key, "/v1/keys/revoke-leaked", new { key = actors.Bootstrap });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(actors.Bootstrap, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var dead = _app.Admin();
        Assert.Equal(HttpStatusCode.Unauthorized, (await dead.GetAsync("/v1/keys")).StatusCode);

        // ...but a responder of another tenant learns nothing and kills nothing.
        Assert.Equal(HttpStatusCode.NotFound, (await actors.PostAsync(actors.AcmeAdmin.Key, "/v1/keys/revoke-leaked", new { key = actors.OtherAdmin.Key })).StatusCode);
    }

    [Fact]
    public async Task Rotate_OfBootstrapKeyByItself_IssuesAPlainAdminKeyOfTenantDefault()
    {
        var actors = await Actors.CreateAsync(_app);
        var response = await actors.PostAsync(actors.Bootstrap, $"/v1/keys/{actors.BootstrapId}/rotate", new { graceSeconds = 600 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = await BrokerApp.JsonAsync(response);
        Assert.Equal(actors.BootstrapId, rotated["id"]!.GetValue<string>());
        Assert.Equal("admin", rotated["role"]!.GetValue<string>());
        Assert.Equal("default", rotated["tenant"]!.GetValue<string>());
        var newSecret = rotated["key"]!.GetValue<string>();

        // Both the new secret and the old one (in its grace period) are plain admin keys of tenant default now.
        foreach (var key in new[] { newSecret, actors.Bootstrap })
        {
            using var client = _app.ClientWith(key);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/keys")).StatusCode);
            await Actors.AssertProblemAsync(await client.PostAsJsonAsync("/v1/keys", new { name = "x", role = "admin", tenant = "acme" }), HttpStatusCode.Forbidden);
            await Actors.AssertProblemAsync(await client.PostAsync("/v1/signing-keys/rotate", null), HttpStatusCode.Forbidden, BootstrapRule.ManageSigningKeys);
        }

        // Not a bootstrap key any more, so any admin of default may now manage it like any other key.
        Assert.Equal(HttpStatusCode.OK, (await actors.PostAsync(actors.OtherAdmin.Key, $"/v1/keys/{actors.BootstrapId}/revoke")).StatusCode);
        using var dead = _app.ClientWith(newSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, (await dead.GetAsync("/v1/keys")).StatusCode);
    }

    [Fact]
    public async Task OtherKeys_AreManagedAsBefore_ByAnyAdminOfTheirTenant()
    {
        var actors = await Actors.CreateAsync(_app);
        var rotated = await actors.PostAsync(actors.OtherAdmin.Key, $"/v1/keys/{actors.Agent.Id}/rotate", new { });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await actors.PostAsync(actors.Responder.Key, $"/v1/keys/{actors.Agent.Id}/revoke")).StatusCode);
    }
}
