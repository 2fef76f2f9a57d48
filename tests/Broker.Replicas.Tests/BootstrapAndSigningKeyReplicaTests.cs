using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Broker.Replicas.Tests;

/// <summary>A replaced bootstrap key and a signing key retired at once stop on every replica, not only the one that did it.</summary>
public sealed class BootstrapAndSigningKeyReplicaTests
{
    [ReplicaFact]
    public async Task ReplicaStartedWithANewBootstrapKey_StopsTheOldOne_OnTheRunningReplicaToo()
    {
        await using var cluster = await ReplicaCluster.StartAsync(count: 1);
        using (var old = ReplicaCluster.Client(cluster.A, ReplicaCluster.AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, (await old.GetAsync("/v1/keys")).StatusCode); // A has it cached now
        }

        var replacement = "brk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var b = await cluster.AddReplicaAsync(new Dictionary<string, string> { ["Broker__BootstrapAdminKey"] = replacement });

        // B's start waited for A to acknowledge the revocation: no grace on A once B is up.
        using (var old = ReplicaCluster.Client(cluster.A, ReplicaCluster.AdminKey))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/v1/keys")).StatusCode);
        }

        foreach (var replica in new[] { cluster.A, b })
        {
            using var admin = ReplicaCluster.Client(replica, replacement);
            using var created = await admin.PostAsJsonAsync("/v1/keys", new { name = "acme-admin-" + replica.Address.Port, role = "admin", tenant = "acme" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
    }

    [ReplicaFact]
    public async Task SigningKeyRetiredThroughA_LeavesTheJwksOfB_WithoutWaitingForItsRefresh()
    {
        // A refresh interval far longer than the wait below: only the notification can make B drop the key in time.
        await using var cluster = await ReplicaCluster.StartAsync(environment: new Dictionary<string, string>
        {
            ["Broker__Signing__RefreshInterval"] = "00:10:00",
            ["Broker__Signing__RetirementMargin"] = "00:20:00",
        });
        using var anonymousA = new HttpClient { BaseAddress = cluster.A.Address };
        using var anonymousB = new HttpClient { BaseAddress = cluster.B.Address };
        async Task<List<string>> KidsAsync(HttpClient client) =>
            JsonNode.Parse(await client.GetStringAsync("/.well-known/jwks.json"))!["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ToList();

        var compromised = Assert.Single(await KidsAsync(anonymousA));
        Assert.Equal([compromised], await KidsAsync(anonymousB));

        using (var admin = ReplicaCluster.Client(cluster.A, ReplicaCluster.AdminKey))
        {
            using var retired = await admin.PostAsync($"/v1/signing-keys/{compromised}/retire", null);
            Assert.Equal(HttpStatusCode.OK, retired.StatusCode);
        }

        Assert.DoesNotContain(compromised, await KidsAsync(anonymousA));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await KidsAsync(anonymousB)).Contains(compromised))
        {
            Assert.True(DateTime.UtcNow < deadline, "B still publishes the retired key: " + cluster.B.RecentOutput);
            await Task.Delay(20);
        }

        Assert.Equal(await KidsAsync(anonymousA), await KidsAsync(anonymousB));
    }
}
