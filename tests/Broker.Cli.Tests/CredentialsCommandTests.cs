namespace Broker.Cli.Tests;

public sealed class CredentialsCommandTests(CliBroker broker) : IClassFixture<CliBroker>
{
    private const string Secret = "sk-live-credentials-test-value-0123456789";

    [Fact]
    public async Task Put_ReadsTheValueFromStdinOrAFile_AndNoCommandPrintsIt()
    {
        var first = (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "openai_key", "--label", "team=ml"], stdin: Secret + "\n")).Expect(0);
        Assert.Contains("Created openai_key: version 1", first.Out, StringComparison.Ordinal);
        first.NeverShows(Secret);

        var file = Path.Combine(broker.Home, "value.txt");
        await File.WriteAllTextAsync(file, Secret + "-v2\n");
        var second = (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "openai_key", "--value-file", file, "--json"])).Expect(0);
        Assert.False(second.Json["created"]!.GetValue<bool>());
        Assert.Equal(2, second.Json["credential"]!["version"]!.GetValue<int>());
        second.NeverShows(Secret);

        // The final line break is not part of the value: the same value again keeps the version.
        var same = (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "openai_key", "--json"], stdin: Secret + "-v2\r\n")).Expect(0);
        Assert.Equal(2, same.Json["credential"]!["version"]!.GetValue<int>());

        var versions = (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "versions", "openai_key", "--json"])).Expect(0);
        Assert.Equal([1, 2], versions.Json["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<int>()).Order());
        Assert.Equal("ml", versions.Json["labels"]!["team"]!.GetValue<string>());
        versions.NeverShows(Secret);

        var list = (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "list"])).Expect(0);
        Assert.Contains("openai_key", list.Out, StringComparison.Ordinal);
        Assert.Contains("team=ml", list.Out, StringComparison.Ordinal);
        list.NeverShows(Secret);
    }

    [Fact]
    public async Task Put_RefusesAValueOnTheCommandLine_AndAnEmptyValue()
    {
        var argv = (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "argv_key", Secret])).Expect(1);
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "argv_key", "--value", Secret])).Expect(1);
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "empty_key"], stdin: "")).Expect(1);
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "no_file", "--value-file", "/nonexistent/value"])).Expect(1);
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "versions", "argv_key"])).Expect(2);
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "Bad Name!"], stdin: "x")).Expect(1);
    }

    [Fact]
    public async Task IfMatch_Delete_AndRoles_MapToExitCodes()
    {
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "db_password"], stdin: "hunter2-hunter2")).Expect(0);
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "db_password", "--if-match", "7"], stdin: "other-value-123")).Expect(4);
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "db_password", "--if-match", "1"], stdin: "other-value-123")).Expect(0);

        var (_, responder) = await broker.CreateKeyAsync(new { name = "oncall-c", role = "responder" });
        (await broker.RunAsync(responder, ["credentials", "list"])).Expect(3);

        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "delete", "db_password"])).Expect(0);
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "delete", "db_password"])).Expect(2);
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "versions", "db_password"])).Expect(2);
    }

    [Fact]
    public async Task Put_WithAgentAccessUse_IsShown_AndAgentsCannotReadTheValue()
    {
        var put = (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "use_only_key", "--agent-access", "use"], stdin: Secret)).Expect(0);
        Assert.Contains("agent access use", put.Out, StringComparison.Ordinal);
        var list = (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "list"])).Expect(0);
        Assert.Contains("ACCESS", list.Out, StringComparison.Ordinal);
        Assert.Matches(@"use_only_key\s+-\s+generic\s+use\s", list.Out);
        var versions = (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "versions", "use_only_key", "--json"])).Expect(0);
        Assert.Equal("use", versions.Json["agentAccess"]!.GetValue<string>());
        (await broker.RunAsync(CliBroker.AdminKey, ["credentials", "put", "use_only_key", "--agent-access", "write"], stdin: Secret)).Expect(1);

        var (_, agent) = await broker.CreateKeyAsync(new { name = "use-only-reader", role = "agent", credentials = new[] { "use_only_*" } });
        using var client = broker.ClientWith(agent);
        using var read = await client.GetAsync("/v1/agent/credentials/use_only_key");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, read.StatusCode);
        Assert.DoesNotContain(Secret, await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
