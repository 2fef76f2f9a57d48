using System.Diagnostics;
using System.Net;

namespace Broker.Replicas.Tests;

public sealed class PostgresRestartTests
{
    [ReplicaFact]
    public async Task PostgresRestart_WhileBrokersRun_ReadyzIs503During_FailsClosed_AndBothRecover()
    {
        if (ThrowawayPostgres.FindBin() is null)
        {
            Assert.Fail("PostgreSQL server binaries not found: set BROKER_TEST_PG_BIN (this test starts and stops its own cluster).");
        }

        await using var pg = await ThrowawayPostgres.StartAsync();
        await using var cluster = await ReplicaCluster.StartAsync(serverConnectionString: pg.ConnectionString);
        await cluster.PutAsync(cluster.A, "x", "value-of-x");
        var (_, key) = await cluster.CreateKeyAsync(cluster.A, new { name = "agent", role = "agent", credentials = new[] { "x" } });
        using var agentOnB = ReplicaCluster.Client(cluster.B, key);
        Assert.Equal(HttpStatusCode.OK, (await agentOnB.GetAsync("/v1/agent/credentials/x")).StatusCode);

        await pg.StopServerAsync();
        foreach (var replica in cluster.Replicas)
        {
            using var probe = new HttpClient { BaseAddress = replica.Address };
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await probe.GetAsync("/readyz")).StatusCode);
        }

        // Fail closed: the cached key's lease has run out and the store is down, so no secret is served.
        await Task.Delay(600);
        using (var during = await agentOnB.GetAsync("/v1/agent/credentials/x"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
            Assert.Equal("application/problem+json", during.Content.Headers.ContentType?.MediaType);
        }

        await pg.StartServerAsync();
        foreach (var replica in cluster.Replicas)
        {
            await replica.WaitReadyAsync(TimeSpan.FromSeconds(30));
        }

        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        HttpStatusCode status;
        do
        {
            using var after = await agentOnB.GetAsync("/v1/agent/credentials/x");
            status = after.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }
        }
        while (status != HttpStatusCode.OK && Stopwatch.GetTimestamp() < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
    }
}
