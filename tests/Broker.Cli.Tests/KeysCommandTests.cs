using System.Net;
using System.Net.Http.Json;

namespace Broker.Cli.Tests;

public sealed class KeysCommandTests(CliBroker broker) : IClassFixture<CliBroker>
{
    [Fact]
    public async Task Create_PrintsTheKeyOnce_AndListNeverShowsIt()
    {
        var created = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "create", "--name", "ci-agent", "--role", "agent", "--credential", "ci_*", "--json"])).Expect(0);
        var id = created.Json["id"]!.GetValue<string>();
        var key = created.Json["key"]!.GetValue<string>();
        Assert.StartsWith("brk_", key, StringComparison.Ordinal);
        Assert.Equal("agent", created.Json["role"]!.GetValue<string>());

        var text = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "create", "--name", "ci-agent-2", "--role", "agent"])).Expect(0);
        Assert.Contains("shown once", text.Out, StringComparison.Ordinal);

        var list = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "list", "--json"])).Expect(0);
        var item = list.Json["items"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == id)!;
        Assert.Equal(key[..12], item["prefix"]!.GetValue<string>());
        Assert.Null(item["key"]);
        list.NeverShows(key);

        var table = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "list"])).Expect(0);
        Assert.Contains("PREFIX", table.Out, StringComparison.Ordinal);
        Assert.Contains(id, table.Out, StringComparison.Ordinal);
        table.NeverShows(key);

        var show = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "show", id])).Expect(0);
        Assert.Contains("ci_*", show.Out, StringComparison.Ordinal);
        show.NeverShows(key);
    }

    [Fact]
    public async Task Show_Revoke_Rotate_MapStatusesToExitCodes()
    {
        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "show", "no-such-id"])).Expect(2);
        var missing = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "revoke", "no-such-id"])).Expect(2);
        Assert.StartsWith("error: ", missing.Error, StringComparison.Ordinal);

        var (id, key) = await broker.CreateKeyAsync(new { name = "to-rotate", role = "agent" });
        var rotated = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "rotate", id, "--grace", "0", "--json"])).Expect(0);
        Assert.Equal(id, rotated.Json["id"]!.GetValue<string>());
        Assert.NotEqual(key, rotated.Json["key"]!.GetValue<string>());

        var revoked = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "revoke", id, "--json"])).Expect(0);
        Assert.Equal("revoked", revoked.Json["status"]!.GetValue<string>());

        // A revoked key cannot be rotated: a conflict.
        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "rotate", id])).Expect(4);
    }

    [Fact]
    public async Task Refusals_AreExitCode3_AndUsageErrorsExitCode1()
    {
        var (_, responder) = await broker.CreateKeyAsync(new { name = "oncall-a", role = "responder" });
        (await broker.RunAsync(responder, ["keys", "create", "--name", "x", "--role", "agent"])).Expect(3);
        (await broker.RunAsync("brk_not-a-real-key-000000000000000000000", ["keys", "list"])).Expect(3);
        (await broker.RunAsync(responder, ["keys", "list"])).Expect(0);

        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "create", "--name", "x"])).Expect(1);
        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "create", "--name", "x", "--role", "superuser"])).Expect(1);
        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "frobnicate"])).Expect(1);

        // No endpoint or key configured at all.
        var none = await BrokerCli.RunAsync(["keys", "list"], broker.Host([], new StringReader(""), new StringWriter(), new StringWriter()));
        Assert.Equal(1, none);
    }

    [Fact]
    public async Task RevokeLeaked_ReadsTheKeyFromStdin_ShowsWhichKeyAndWhereItWasUsed_AndNeverPrintsIt()
    {
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "leak_probe"], stdin: "probe-value-1234")).Expect(0);
        var (id, leaked) = await broker.CreateKeyAsync(new { name = "leaky-agent", role = "agent", credentials = new[] { "leak_probe" } });
        using (var agent = broker.ClientWith(leaked))
        {
            Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/v1/agent/credentials")).StatusCode);
        }

        var (_, responder) = await broker.CreateKeyAsync(new { name = "oncall-b", role = "responder" });
        var run = (await broker.RunAsync(responder, ["keys", "revoke-leaked"], stdin: leaked + "\n")).Expect(0);
        Assert.Contains(id, run.Out, StringComparison.Ordinal);
        Assert.Contains("\"leaky-agent\"", run.Out, StringComparison.Ordinal);
        Assert.Contains("REVOKED", run.Out, StringComparison.Ordinal);
        Assert.Contains("Recent use", run.Out, StringComparison.Ordinal);
        Assert.Contains("credential.read", run.Out, StringComparison.Ordinal);
        Assert.Contains("leak_probe", run.Out, StringComparison.Ordinal);
        run.NeverShows(leaked);

        using (var agent = broker.ClientWith(leaked))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await agent.GetAsync("/v1/agent/credentials")).StatusCode);
        }

        var again = (await broker.RunAsync(responder, ["keys", "revoke-leaked", "--json"], stdin: leaked)).Expect(0);
        Assert.Equal(id, again.Json["id"]!.GetValue<string>());
        Assert.NotNull(again.Json["recentUse"]!.AsArray());
        again.NeverShows(leaked);

        // A value that is no key, nothing on stdin, or the key as an argument.
        (await broker.RunAsync(responder, ["keys", "revoke-leaked"], stdin: "brk_unknown-value-00000000000000000000")).Expect(2).NeverShows("brk_unknown-value-00000000000000000000");
        (await broker.RunAsync(responder, ["keys", "revoke-leaked"], stdin: "  \n")).Expect(1);
        (await broker.RunAsync(responder, ["keys", "revoke-leaked", leaked])).Expect(1);
    }

    [Fact]
    public async Task Create_WithGrants_AndListAndShowDisplayThem()
    {
        var created = (await broker.RunAsync(CliBroker.AdminKey,
        [
            "keys", "create", "--name", "granted-cli", "--role", "agent", "--token-audience", "https://a.example", "--token-audience", "https://b.example",
            "--token-scope", "orders:*", "--token-max-ttl", "600", "--sts-role", "arn:aws:iam::*:role/reader", "--sts-max-duration", "900",
            "--subjects", "any", "--approval-scope", "payments:*", "--json",
        ])).Expect(0);
        var id = created.Json["id"]!.GetValue<string>();
        Assert.Equal(["https://a.example", "https://b.example"], created.Json["tokens"]!["audiences"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(900, created.Json["sts"]!["maxDurationSeconds"]!.GetValue<int>());

        var table = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "list"])).Expect(0);
        Assert.Contains("GRANTS", table.Out, StringComparison.Ordinal);
        var row = table.Out.Split('\n').Single(l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains("tokens[aud=https://a.example,https://b.example scopes=orders:* maxTtl=600s]", row, StringComparison.Ordinal);
        Assert.Contains("sts[roles=arn:aws:iam::*:role/reader maxDuration=900s]", row, StringComparison.Ordinal);
        Assert.Contains("subjects=any", row, StringComparison.Ordinal);
        Assert.Contains("approval[scopes=payments:*]", row, StringComparison.Ordinal);

        var show = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "show", id])).Expect(0);
        Assert.Contains("aud=https://a.example,https://b.example scopes=orders:* maxTtl=600s", show.Out, StringComparison.Ordinal);
        Assert.Contains("scopes=payments:*", show.Out, StringComparison.Ordinal);

        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "create", "--name", "x", "--role", "agent", "--subjects", "whoever"])).Expect(1);
    }

    [Fact]
    public async Task Update_NarrowsAtOnce_KeepsWhatIsNotGiven_AndMapsRefusals()
    {
        var (id, agent) = await broker.CreateKeyAsync(new
        {
            name = "updated-cli", role = "agent", credentials = new[] { "x_*" }, tokens = new { audiences = new[] { "*" }, scopes = new[] { "orders:*" }, maxTtlSeconds = 600 },
        });
        using var client = broker.ClientWith(agent);
        using (var before = await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://x.example", task = "cli" }))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var updated = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "update", id, "--token-audience", "https://y.example", "--credentials", "y_*", "--json"])).Expect(0);

        Assert.Equal("https://y.example", updated.Json["tokens"]!["audiences"]!.AsArray().Single()!.GetValue<string>());
        Assert.Equal("orders:*", updated.Json["tokens"]!["scopes"]!.AsArray().Single()!.GetValue<string>()); // not given: kept
        Assert.Equal(600, updated.Json["tokens"]!["maxTtlSeconds"]!.GetValue<int>());
        Assert.Equal("y_*", updated.Json["credentials"]!.AsArray().Single()!.GetValue<string>());
        using (var after = await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://x.example", task = "cli" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        }

        var emptied = (await broker.RunAsync(CliBroker.AdminKey, ["keys", "update", id, "--no-tokens", "--no-credentials"])).Expect(0);
        Assert.Contains("aud=(none)", emptied.Out, StringComparison.Ordinal);
        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "update", id])).Expect(1);
        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "update", id, "--no-tokens", "--token-audience", "a"])).Expect(1);
        (await broker.RunAsync(CliBroker.AdminKey, ["keys", "update", "no-such-id", "--subjects", "any"])).Expect(2);
        var (_, responder) = await broker.CreateKeyAsync(new { name = "oncall-update", role = "responder" });
        (await broker.RunAsync(responder, ["keys", "update", id, "--subjects", "any"])).Expect(3);
    }
}
