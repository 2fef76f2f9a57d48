using System.Net;
using System.Text.Json.Nodes;

namespace Broker.Cli.Tests;

public sealed class AuditCommandTests(CliBroker broker) : IClassFixture<CliBroker>
{
    [Fact]
    public async Task Tail_FiltersByActionAndKey_AndVerifyIsValid()
    {
        var (id, _) = await broker.CreateKeyAsync(new { name = "tail-me", role = "agent" });
        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "revoke", id])).Expect(0);

        var creates = (await broker.RunAsync(CliBroker.AdminKey, ["audit", "tail", "--action", "key.create", "--json"])).Expect(0);
        var items = creates.Json["items"]!.AsArray();
        Assert.NotEmpty(items);
        Assert.All(items, i => Assert.Equal("key.create", i!["action"]!.GetValue<string>()));
        Assert.Contains(items, i => i!["target"]!.GetValue<string>() == "name=tail-me");

        var byKey = (await broker.RunAsync(CliBroker.AdminKey, ["audit", "tail", "--key", id, "--json"])).Expect(0);
        Assert.Contains(byKey.Json["items"]!.AsArray(), i => i!["action"]!.GetValue<string>() == "key.revoke");

        var last = (await broker.RunAsync(CliBroker.AdminKey, ["audit", "tail", "-n", "2", "--json"])).Expect(0);
        Assert.Equal(2, last.Json["items"]!.AsArray().Count);

        var table = (await broker.RunAsync(CliBroker.AdminKey, ["audit", "tail"])).Expect(0);
        Assert.Contains("ACTION", table.Out, StringComparison.Ordinal);
        Assert.Contains("key.revoke", table.Out, StringComparison.Ordinal);

        var verify = (await broker.RunAsync(CliBroker.AdminKey, ["audit", "verify", "--json"])).Expect(0);
        Assert.True(verify.Json["valid"]!.GetValue<bool>());
        Assert.Contains("Valid", (await broker.RunAsync(CliBroker.AdminKey, ["audit", "verify"])).Expect(0).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TailFollow_PrintsRecordsMadeAfterItStarted_UntilCancelled()
    {
        var output = new StringWriter();
        var synchronized = TextWriter.Synchronized(output);
        var env = new Dictionary<string, string> { ["BROKER_ENDPOINT"] = "http://localhost", ["BROKER_KEY"] = CliBroker.AdminKey };
        using var stop = new CancellationTokenSource();
        var run = BrokerCli.RunAsync(["audit", "tail", "--follow", "--action", "key.create", "-n", "0"], broker.Host(env, new StringReader(""), synchronized, new StringWriter()), stop.Token);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        var name = "followed-" + Guid.NewGuid().ToString("n")[..8];
        var created = false;
        while (!output.ToString().Contains(name, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the followed record never appeared: " + output);
            Assert.False(run.IsCompleted, "tail --follow ended on its own");
            if (!created && output.ToString().Contains("ACTION", StringComparison.Ordinal))
            {
                await broker.CreateKeyAsync(new { name, role = "caller" });
                created = true;
            }

            await Task.Delay(20);
        }

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task ValueReads_ReadsTheValueFromStdin_AndFindsWhoReadIt()
    {
        const string value = "value-reads-secret-0123456789abcdef";
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "probe_value"], stdin: value)).Expect(0);
        var (agentId, agent) = await broker.CreateKeyAsync(new { name = "reader", role = "agent", credentials = new[] { "probe_value" } });
        using (var client = broker.ClientWith(agent))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/agent/credentials/probe_value")).StatusCode);
        }

        var run = (await broker.RunAsync(CliBroker.AdminKey, ["audit", "value-reads", "--json"], stdin: value + "\n")).Expect(0);
        var reads = run.Json["items"]!.AsArray();
        Assert.Contains(reads, r => r!["actor"]!["keyId"]!.GetValue<string>() == agentId && r["action"]!.GetValue<string>() == "credential.read");
        run.NeverShows(value);

        var none = (await broker.RunAsync(CliBroker.AdminKey, ["audit", "value-reads"], stdin: "never-served-value-000000")).Expect(0);
        Assert.Contains("never served", none.Out, StringComparison.Ordinal);
        (await broker.RunAsync(CliBroker.AdminKey, ["audit", "value-reads"], stdin: "")).Expect(1);
    }

    [Fact]
    public async Task VerifyFile_VerifiesTheBrokersJsonlSinkOffline_AndCatchesTampering()
    {
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "file_probe"], stdin: "file-probe-value-123")).Expect(0);
        await broker.CreateKeyAsync(new { name = "acme-admin", role = "admin", tenant = "acme" });
        var lines = await SinkLinesAsync();
        var copy = Path.Combine(broker.Home, "audit-copy.jsonl");
        await File.WriteAllLinesAsync(copy, lines);

        var ok = (await broker.RunAsync(null, ["audit", "verify-file", copy, "--json"])).Expect(0);
        Assert.True(ok.Json["valid"]!.GetValue<bool>());
        Assert.Contains(ok.Json["tenants"]!.AsArray(), t => t!["tenant"]!.GetValue<string>() == "acme");
        Assert.Equal(lines.Length, ok.Json["records"]!.GetValue<long>());
        Assert.Contains("The file verifies.", (await broker.RunAsync(null, ["audit", "verify-file", copy])).Expect(0).Out, StringComparison.Ordinal);

        // An edited record (its target changed, hash left alone) fails at itself.
        var defaultIndexes = lines.Select((l, i) => (l, i)).Where(x => JsonNode.Parse(x.l)!["tenant"]!.GetValue<string>() == "default").Select(x => x.i).ToList();
        var victim = defaultIndexes[defaultIndexes.Count / 2];
        var edited = (string[])lines.Clone();
        var node = JsonNode.Parse(edited[victim])!;
        node["target"] = "something-else";
        edited[victim] = node.ToJsonString();
        await File.WriteAllLinesAsync(copy, edited);
        var broken = (await broker.RunAsync(null, ["audit", "verify-file", copy, "--json"])).Expect(6);
        var chain = broken.Json["tenants"]!.AsArray().Single(t => t!["tenant"]!.GetValue<string>() == "default")!;
        Assert.Equal(node["id"]!.GetValue<long>(), chain["brokenAt"]!.GetValue<long>());

        // A deleted record fails at its successor.
        await File.WriteAllLinesAsync(copy, lines.Where((_, i) => i != victim));
        Assert.Contains("BROKEN", (await broker.RunAsync(null, ["audit", "verify-file", copy])).Expect(6).Out, StringComparison.Ordinal);

        // A cut tail passes the chain check alone, but not a checkpoint of the cut record.
        var lastDefault = JsonNode.Parse(lines[defaultIndexes[^1]])!;
        var checkpoints = Path.Combine(broker.Home, "checkpoints.jsonl");
        await File.WriteAllTextAsync(checkpoints, new JsonObject { ["tenant"] = "default", ["id"] = lastDefault["id"]!.GetValue<long>(), ["hash"] = lastDefault["hash"]!.GetValue<string>() }.ToJsonString() + "\n");
        await File.WriteAllLinesAsync(copy, lines.Where((_, i) => i != defaultIndexes[^1]));
        (await broker.RunAsync(null, ["audit", "verify-file", copy])).Expect(0);
        var cut = (await broker.RunAsync(null, ["audit", "verify-file", copy, "--checkpoints", checkpoints, "--json"])).Expect(6);
        Assert.Equal("cut", cut.Json["checkpoints"]![0]!["status"]!.GetValue<string>());
        await File.WriteAllLinesAsync(copy, lines);
        (await broker.RunAsync(null, ["audit", "verify-file", copy, "--checkpoints", checkpoints])).Expect(0);

        // Not an audit file at all.
        await File.WriteAllTextAsync(copy, "hello\n");
        (await broker.RunAsync(null, ["audit", "verify-file", copy])).Expect(6);
        (await broker.RunAsync(null, ["audit", "verify-file", Path.Combine(broker.Home, "missing.jsonl")])).Expect(1);
    }

    /// <summary>The sink writes after each commit on its own loop: wait until it holds every record the broker has.</summary>
    private async Task<string[]> SinkLinesAsync()
    {
        var expected = (await broker.RunAsync(CliBroker.AdminKey, ["audit", "tail", "-n", "100000", "--json"])).Expect(0).Json["items"]!.AsArray()[^1]!["id"]!.GetValue<long>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (File.Exists(broker.JsonlPath))
            {
                string[] lines;
                using (var stream = new FileStream(broker.JsonlPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                using (var reader = new StreamReader(stream))
                {
                    lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                }

                if (lines.Any(l => JsonNode.Parse(l)!["tenant"]!.GetValue<string>() == "default" && JsonNode.Parse(l)!["id"]!.GetValue<long>() >= expected))
                {
                    return lines;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the JSONL sink never caught up");
            await Task.Delay(20);
        }
    }
}
