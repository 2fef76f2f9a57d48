using System.Net;
using Broker.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Server.Tests;

/// <summary>No configuration turns the audit off; measuring its cost takes another program (bench/Broker.Bench.Host).</summary>
public sealed class AuditAlwaysOnTests
{
    [Fact]
    public async Task DisabledForBenchmarkSetting_IsIgnored_AReadIsStillAudited()
    {
        // The key Broker__Audit__DisabledForBenchmark=true binds to, which once swapped in a log that recorded nothing.
        using var app = new BrokerApp(settings: new() { ["Broker:Audit:DisabledForBenchmark"] = "true" });
        Assert.IsType<GroupCommitAuditLog>(app.Services.GetRequiredService<IAuditLog>());

        await app.PutAsync("still_audited", "sk-still-audited-value");
        var (agentId, agent) = await app.CreateKeyAsync(new { name = "reader", role = "agent", credentials = new[] { "still_*" } });
        using (var client = app.ClientWith(agent))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/agent/credentials/still_audited")).StatusCode);
        }

        using var admin = app.Admin();
        var reads = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?action=credential.read")))["items"]!.AsArray();
        var read = Assert.Single(reads)!;
        Assert.Equal("still_audited", read["target"]!.GetValue<string>());
        Assert.Equal(agentId, read["actor"]!["keyId"]!.GetValue<string>());
    }
}
