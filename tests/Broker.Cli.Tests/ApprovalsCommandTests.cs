using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Broker.Cli.Tests;

/// <summary><c>broker approvals list|approve|deny</c> against the real server (API.md v1.1 "Approvals").</summary>
public sealed class ApprovalsCommandTests(CliBroker broker) : IClassFixture<CliBroker>
{
    private async Task<string> HeldAsync(string agentKey, string task)
    {
        using var agent = broker.ClientWith(agentKey);
        using var held = await agent.PostAsJsonAsync("/v1/tokens", new { audience = "https://pay.example", task, scopes = new[] { "payments:write", "orders:read" }, ttlSeconds = 300 });
        Assert.Equal(HttpStatusCode.Accepted, held.StatusCode);
        return JsonNode.Parse(await held.Content.ReadAsStringAsync())!["approvalId"]!.GetValue<string>();
    }

    [Fact]
    public async Task AnApprover_ListsApprovesNarrowerAndDenies_AnAgentCannot()
    {
        var (_, agent) = await broker.CreateKeyAsync(new
        {
            name = "cli-pay-agent", role = "agent", tokens = new { audiences = new[] { "*" }, scopes = new[] { "*" } },
            approval = new { scopes = new[] { "payments:*" } },
        });
        var (_, approver) = await broker.CreateKeyAsync(new { name = "cli-alice", role = "approver" });
        var first = await HeldAsync(agent, "refund-1");
        var second = await HeldAsync(agent, "refund-2");

        var listed = (await broker.RunAsync(approver, ["approvals", "list", "--json"])).Expect(0);
        var ids = listed.Json["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
        Assert.Contains(first, ids);
        Assert.Contains(second, ids);
        Assert.Contains("refund-1", (await broker.RunAsync(approver, ["approvals", "list"])).Expect(0).Out, StringComparison.Ordinal);

        var approved = (await broker.RunAsync(approver, ["approvals", "approve", first, "--ttl", "60", "--scope", "orders:read", "--reason", "ok", "--json"])).Expect(0);
        Assert.Equal("approved", approved.Json["status"]!.GetValue<string>());
        (await broker.RunAsync(approver, ["approvals", "approve", second, "--scope", "admin:all"])).Expect(1);
        var denied = (await broker.RunAsync(approver, ["approvals", "deny", second, "--reason", "not this one", "--json"])).Expect(0);
        Assert.Equal("denied", denied.Json["status"]!.GetValue<string>());
        (await broker.RunAsync(approver, ["approvals", "deny", second, "--reason", "again"])).Expect(4);
        (await broker.RunAsync(approver, ["approvals", "approve", "apr_AAAAAAAAAAAAAAAAAAAAAA"])).Expect(2);

        (await broker.RunAsync(agent, ["approvals", "list"])).Expect(3);
        var stillPending = (await broker.RunAsync(approver, ["approvals", "list", "--json"])).Expect(0).Json["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
        Assert.DoesNotContain(first, stillPending);
        Assert.DoesNotContain(second, stillPending);
        Assert.Equal(2, (await broker.RunAsync(approver, ["approvals", "list", "--status", "all", "--json"])).Expect(0).Json["items"]!.AsArray()
            .Count(i => i!["id"]!.GetValue<string>() is var id && (id == first || id == second)));
    }
}
