using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Broker.Replicas.Tests;

/// <summary>
/// A long-poll parked on one replica when its key is revoked through another: it answers the same 401 as an unknown
/// key, never a value, and (woken through the revocation follower) without waiting out its timeout.
/// </summary>
public sealed class HeldRequestReplicaTests
{
    // One long-poll per key lets a second poll of the same key prove that the first one holds its slot (is parked).
    private static readonly Dictionary<string, string> OnePollPerKey = new() { ["Broker__MaxLongPollsPerKey"] = "1" };

    [ReplicaFact]
    public async Task LongPoll_ParkedOnB_RevokedThroughA_ThenAValueWrittenThroughA_Gets401_NeverTheValue()
    {
        await using var cluster = await ReplicaCluster.StartAsync(environment: OnePollPerKey);
        await cluster.PutAsync(cluster.A, "db.password", "before-the-revoke");
        var (id, key) = await cluster.CreateKeyAsync(cluster.A, new { name = "parked-on-b", role = "agent", credentials = new[] { "db.*" } });
        using var b = ReplicaCluster.Client(cluster.B, key);
        var poll = await ParkAsync(b, await CursorAsync(b), waitSeconds: 20);

        using (var admin = ReplicaCluster.Client(cluster.A, ReplicaCluster.AdminKey))
        {
            using var revoke = await admin.PostAsync($"/v1/keys/{id}/revoke", null);
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        await cluster.PutAsync(cluster.A, "db.password", "written-after-the-revoke");
        using var response = await poll.WaitAsync(TimeSpan.FromSeconds(30));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("written-after-the-revoke", body, StringComparison.Ordinal);

        using var unknown = ReplicaCluster.Client(cluster.B, "brk_unknown-key-value-aaaaaaaaaaaaaaaa");
        using var reference = await unknown.GetAsync("/v1/agent/credentials");
        Assert.Equal(await reference.Content.ReadAsStringAsync(), body);
        Assert.Equal(reference.Headers.WwwAuthenticate.ToString(), response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(reference.Content.Headers.ContentType, response.Content.Headers.ContentType);
    }

    [ReplicaFact]
    public async Task LongPoll_ParkedOnB_IsWokenByARevokeThroughA_WithoutAnyChange()
    {
        await using var cluster = await ReplicaCluster.StartAsync(environment: OnePollPerKey);
        await cluster.PutAsync(cluster.A, "db.password", "unchanged");
        var (id, key) = await cluster.CreateKeyAsync(cluster.A, new { name = "woken-on-b", role = "agent", credentials = new[] { "db.*" } });
        using var b = ReplicaCluster.Client(cluster.B, key);
        b.Timeout = TimeSpan.FromSeconds(90);
        var poll = await ParkAsync(b, await CursorAsync(b), waitSeconds: 60);

        using (var admin = ReplicaCluster.Client(cluster.A, ReplicaCluster.AdminKey))
        {
            using var revoke = await admin.PostAsync($"/v1/keys/{id}/revoke", null);
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        // Nothing changes: only the revoke, reaching B, can end this 60 s wait early.
        using var response = await poll.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task<string> CursorAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/v1/agent/credentials");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["cursor"]!.GetValue<string>();
    }

    /// <summary>
    /// Starts a long-poll and returns it once it is parked: with one long-poll allowed per key, a probe of the same
    /// key gets 429 exactly while the poll holds the slot. A probe that won the race holds the slot for a second
    /// (the poll then gets 429, and is sent again).
    /// </summary>
    private static async Task<Task<HttpResponseMessage>> ParkAsync(HttpClient client, string cursor, int waitSeconds)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(30 * Stopwatch.Frequency);
        var poll = client.GetAsync($"/v1/agent/credentials?since={cursor}&wait={waitSeconds}");
        while (true)
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, "the long-poll did not park");
            using var probe = await client.GetAsync($"/v1/agent/credentials?since={cursor}&wait=1");
            if (probe.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return poll;
            }

            if (poll.IsCompleted)
            {
                using var refused = await poll;
                Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
                poll = client.GetAsync($"/v1/agent/credentials?since={cursor}&wait={waitSeconds}");
            }
        }
    }
}
