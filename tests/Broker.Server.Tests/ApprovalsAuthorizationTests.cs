using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Server.Tests;

/// <summary>
/// Deny by default on every approval route: admins and approvers of the tenant decide; the requesting agent key sees
/// its own approval only; responders, callers, other agents, another tenant and revoked or absent keys get nothing.
/// </summary>
public sealed class ApprovalsAuthorizationTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    private async Task<HttpStatusCode> StatusAsync(string? key, HttpMethod method, string url, object? body = null)
    {
        using var client = _app.ClientWith(key);
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task EveryRoute_AnswersEachRoleAsTheContractSays()
    {
        var actors = await Actors.CreateAsync(_app);
        var (_, approver) = await _app.CreateKeyAsync(new { name = "alice", role = "approver" });
        var (_, acmeApprover) = await _app.CreateKeyAsync(new { name = "acme-alice", role = "approver", tenant = "acme" });
        var (revokedApproverId, revokedApprover) = await _app.CreateKeyAsync(new { name = "bob", role = "approver" });
        var (_, caller) = await _app.CreateKeyAsync(new { name = "inbound", role = "caller", agents = new[] { "*" } });
        var (_, requester) = await _app.CreateKeyAsync(ApprovalsApiTests.ApprovalAgent("pay-agent"));
        var (_, otherAgent) = await _app.CreateKeyAsync(ApprovalsApiTests.ApprovalAgent("other-agent"));
        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{revokedApproverId}/revoke", null)).StatusCode);
        }

        using var agentClient = _app.ClientWith(requester);
        async Task<string> PendingAsync() => await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agentClient));
        var id = await PendingAsync();

        // Reading the list and one approval.
        foreach (var (key, expected) in new (string?, HttpStatusCode)[]
                 {
                     (actors.Bootstrap, HttpStatusCode.OK), (actors.OtherAdmin.Key, HttpStatusCode.OK), (approver, HttpStatusCode.OK),
                     (actors.Responder.Key, HttpStatusCode.Forbidden), (requester, HttpStatusCode.Forbidden), (caller, HttpStatusCode.Forbidden),
                     (actors.Revoked.Key, HttpStatusCode.Unauthorized), (revokedApprover, HttpStatusCode.Unauthorized), (null, HttpStatusCode.Unauthorized),
                 })
        {
            Assert.Equal(expected, await StatusAsync(key, HttpMethod.Get, "/v1/approvals"));
        }

        Assert.Empty((await BrokerApp.JsonAsync(await _app.ClientWith(acmeApprover).GetAsync("/v1/approvals")))["items"]!.AsArray());
        foreach (var (key, expected) in new (string?, HttpStatusCode)[]
                 {
                     (actors.Bootstrap, HttpStatusCode.OK), (approver, HttpStatusCode.OK), (requester, HttpStatusCode.OK),
                     (otherAgent, HttpStatusCode.NotFound), (actors.Agent.Key, HttpStatusCode.NotFound), (acmeApprover, HttpStatusCode.NotFound),
                     (actors.AcmeAdmin.Key, HttpStatusCode.NotFound), (actors.Responder.Key, HttpStatusCode.Forbidden), (caller, HttpStatusCode.Forbidden),
                     (revokedApprover, HttpStatusCode.Unauthorized), (null, HttpStatusCode.Unauthorized),
                 })
        {
            Assert.Equal(expected, await StatusAsync(key, HttpMethod.Get, $"/v1/approvals/{id}"));
        }

        // Deciding: nobody but an approver or admin of the tenant, and the pending request stays pending meanwhile.
        foreach (var verdict in new[] { "approve", "deny" })
        {
            foreach (var (key, expected) in new (string?, HttpStatusCode)[]
                     {
                         (requester, HttpStatusCode.Forbidden), (otherAgent, HttpStatusCode.Forbidden), (actors.Responder.Key, HttpStatusCode.Forbidden),
                         (caller, HttpStatusCode.Forbidden), (acmeApprover, HttpStatusCode.NotFound), (actors.AcmeAdmin.Key, HttpStatusCode.NotFound),
                         (revokedApprover, HttpStatusCode.Unauthorized), (actors.Revoked.Key, HttpStatusCode.Unauthorized), (null, HttpStatusCode.Unauthorized),
                     })
            {
                Assert.Equal(expected, await StatusAsync(key, HttpMethod.Post, $"/v1/approvals/{id}/{verdict}", new { reason = "r" }));
            }
        }

        Assert.Equal("pending", (await BrokerApp.JsonAsync(await _app.ClientWith(approver).GetAsync($"/v1/approvals/{id}")))["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(approver, HttpMethod.Post, $"/v1/approvals/{id}/approve", new { }));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(actors.OtherAdmin.Key, HttpMethod.Post, $"/v1/approvals/{await PendingAsync()}/deny", new { reason = "no" }));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(approver, HttpMethod.Post, "/v1/approvals/apr_AAAAAAAAAAAAAAAAAAAAAA/approve", new { }));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(approver, HttpMethod.Get, "/v1/approvals?status=maybe"));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(requester, HttpMethod.Get, $"/v1/approvals/{id}?wait=61"));
    }

    [Fact]
    public async Task AnAgentWithoutTheApprovalGrant_IsNeverHeld_AndCannotUseAnApproval()
    {
        var (_, plain) = await _app.CreateKeyAsync(new { name = "plain", role = "agent", tokens = WideGrants.Tokens });
        using var client = _app.ClientWith(plain);
        Assert.Equal(HttpStatusCode.OK, (await ApprovalsApiTests.MintAsync(client)).StatusCode);
        var problem = await Actors.AssertProblemAsync(await ApprovalsApiTests.MintAsync(client, "apr_AAAAAAAAAAAAAAAAAAAAAA"), HttpStatusCode.Forbidden);
        Assert.StartsWith("Rule approval_unknown:", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task AKey_NeverDecidesARequestItMadeItself()
    {
        // Only agent keys make requests and they cannot decide, so the routes never meet this; the desk refuses it anyway.
        var (agentId, agentKey) = await _app.CreateKeyAsync(ApprovalsApiTests.ApprovalAgent("pay-agent"));
        using var agent = _app.ClientWith(agentKey);
        var id = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent));
        var desk = _app.Services.GetRequiredService<Broker.Approvals.ApprovalDesk>();
        var sameKey = new Broker.Audit.AuditContext(new Broker.Core.Caller(agentId, "pay-agent", Broker.Core.Role.Approver, "default", false, [], []), "req-self");

        var refused = await Assert.ThrowsAsync<Broker.Core.Grants.GrantRefusedException>(() => desk.ApproveAsync(sameKey, id, new Broker.Approvals.ApprovalNarrowing()));

        Assert.Equal(Broker.Core.Grants.GrantRules.ApprovalSelf, refused.Rule);
        using var admin = _app.Admin();
        Assert.Equal("pending", (await BrokerApp.JsonAsync(await admin.GetAsync($"/v1/approvals/{id}")))["status"]!.GetValue<string>());
    }
}
