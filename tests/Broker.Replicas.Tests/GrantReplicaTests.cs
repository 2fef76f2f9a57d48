using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Broker.Replicas.Tests;

/// <summary>A grant narrowed through one replica holds on the others before the PATCH answers (API.md v1.1 "Grants").</summary>
public sealed class GrantReplicaTests
{
    [ReplicaFact]
    public async Task PatchNarrowingTokens_ThroughA_HoldsOnB_BeforeThePatchAnswers()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        var (id, key) = await cluster.CreateKeyAsync(cluster.A, new
        {
            name = "minter", role = "agent", tokens = new { audiences = new[] { "https://x.example" } },
        });
        using var onB = ReplicaCluster.Client(cluster.B, key);
        using (var warm = await MintAsync(onB, "https://x.example"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode); // B has the key and its grants cached now
        }

        await PatchAsync(cluster, id, new { tokens = new { audiences = new[] { "https://y.example" } } });

        using var refused = await MintAsync(onB, "https://x.example");
        await AssertRefusedAsync(refused, "token_audience");
        using var allowed = await MintAsync(onB, "https://y.example");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [ReplicaFact]
    public async Task PatchNarrowingCredentials_ThroughA_HoldsOnB_BeforeThePatchAnswers()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        await cluster.PutAsync(cluster.A, "db.password", "value-of-db");
        await cluster.PutAsync(cluster.A, "mail.password", "value-of-mail");
        var (id, key) = await cluster.CreateKeyAsync(cluster.A, new { name = "reader", role = "agent", credentials = new[] { "db.*", "mail.*" } });
        using var onB = ReplicaCluster.Client(cluster.B, key);
        using (var warm = await onB.GetAsync("/v1/agent/credentials/db.password"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await PatchAsync(cluster, id, new { credentials = new[] { "mail.*" } });

        using var refused = await onB.GetAsync("/v1/agent/credentials/db.password");
        await AssertRefusedAsync(refused, "credential_pattern");
        using var allowed = await onB.GetAsync("/v1/agent/credentials/mail.password");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    private static Task<HttpResponseMessage> MintAsync(HttpClient agent, string audience) =>
        agent.PostAsJsonAsync("/v1/tokens", new { audience, task = "replica-grant" });

    private static async Task PatchAsync(ReplicaCluster cluster, string id, object body)
    {
        using var admin = ReplicaCluster.Client(cluster.A, ReplicaCluster.AdminKey);
        using var patched = await admin.PatchAsJsonAsync($"/v1/keys/{id}", body);
        Assert.True(patched.StatusCode == HttpStatusCode.OK, $"PATCH: {(int)patched.StatusCode} {await patched.Content.ReadAsStringAsync()}");
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string rule)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{(int)response.StatusCode}: {text}");
        Assert.StartsWith($"Rule {rule}:", JsonNode.Parse(text)!["detail"]!.GetValue<string>());
    }
}
