using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Broker.Replicas.Tests;

/// <summary>
/// Approvals across replicas (API.md v1.1 "Approvals"): a request held through A, approved through B, wakes the agent
/// waiting on A at once (PostgreSQL NOTIFY), and the approval is used once whichever replica the repeat reaches.
/// </summary>
public sealed class ApprovalReplicaTests
{
    [ReplicaFact]
    public async Task ApprovedOnB_WakesTheWaiterOnA_InMilliseconds_AndIsUsableOnceOnEitherReplica()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var (_, agentKey) = await cluster.CreateKeyAsync(cluster.A, new
        {
            name = "pay-agent", role = "agent", tokens = new { audiences = new[] { "*" }, scopes = new[] { "*" } },
            approval = new { scopes = new[] { "payments:*" } },
        });
        var (_, approverKey) = await cluster.CreateKeyAsync(cluster.A, new { name = "alice", role = "approver" });
        using var agentOnA = ReplicaCluster.Client(cluster.A, agentKey);
        using var agentOnB = ReplicaCluster.Client(cluster.B, agentKey);
        using var approverOnB = ReplicaCluster.Client(cluster.B, approverKey);

        using var held = await MintAsync(agentOnA, null);
        Assert.Equal(HttpStatusCode.Accepted, held.StatusCode);
        var id = JsonNode.Parse(await held.Content.ReadAsStringAsync())!["approvalId"]!.GetValue<string>();

        var waiting = agentOnA.GetAsync($"/v1/approvals/{id}?wait=50");
        await Task.Delay(300); // let the wait begin on A; a late start only makes the wait shorter
        using (var approved = await approverOnB.PostAsJsonAsync($"/v1/approvals/{id}/approve", new { reason = "ok" }))
        {
            Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        }

        var woken = Stopwatch.StartNew();
        using var answered = await waiting.WaitAsync(TimeSpan.FromSeconds(40));
        woken.Stop();
        Assert.Equal("approved", JsonNode.Parse(await answered.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        Assert.True(woken.Elapsed < TimeSpan.FromSeconds(5), $"the waiter on A answered {woken.Elapsed} after the approval on B");

        var replays = await Task.WhenAll(MintAsync(agentOnA, id), MintAsync(agentOnB, id), MintAsync(agentOnA, id), MintAsync(agentOnB, id));
        Assert.Equal(1, replays.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(3, replays.Count(r => r.StatusCode == HttpStatusCode.Forbidden));
    }

    private static Task<HttpResponseMessage> MintAsync(HttpClient agent, string? approval)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tokens")
        {
            Content = JsonContent.Create(new { audience = "https://pay.example", task = "refund", scopes = new[] { "payments:write" } }),
        };
        if (approval is not null)
        {
            request.Headers.Add("Broker-Approval", approval);
        }

        return agent.SendAsync(request);
    }
}
