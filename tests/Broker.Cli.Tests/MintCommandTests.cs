namespace Broker.Cli.Tests;

public sealed class MintCommandTests(CliBroker broker) : IClassFixture<CliBroker>
{
    [Fact]
    public async Task TokensMint_ShowsTheClaims_AndTheTokenOnlyWhenAsked()
    {
        var (_, agent) = await broker.CreateKeyAsync(new
        {
            name = "minter", role = "agent", credentials = new[] { "*" },
            tokens = new { audiences = new[] { "*" }, scopes = new[] { "*" } },
        });

        var run = (await broker.RunAsync(agent, ["tokens", "mint", "--audience", "https://api.example", "--task", "t-1", "--scope", "read", "--json"])).Expect(0);
        Assert.Equal("https://api.example", run.Json["claims"]!["aud"]!.GetValue<string>());
        Assert.Equal("read", run.Json["claims"]!["scope"]!.GetValue<string>());
        Assert.Null(run.Json["token"]);
        Assert.DoesNotContain("eyJ", run.Out, StringComparison.Ordinal);

        var shown = (await broker.RunAsync(agent, ["tokens", "mint", "--audience", "https://api.example", "--task", "t-1", "--show-token", "--json"])).Expect(0);
        Assert.StartsWith("eyJ", shown.Json["token"]!.GetValue<string>(), StringComparison.Ordinal);

        // An admin key mints nothing; a bad TTL is the broker's 400.
        (await broker.RunAsync(CliBroker.AdminKey, ["tokens", "mint", "--audience", "a", "--task", "t"])).Expect(3);
        (await broker.RunAsync(agent, ["tokens", "mint", "--audience", "a", "--task", "t", "--ttl", "1"])).Expect(1);
    }

    [Fact]
    public async Task StsMint_OfAMissingCredential_IsNotFound_AndSigningKeysNeedTheBootstrapKey()
    {
        var (_, agent) = await broker.CreateKeyAsync(new { name = "sts-agent", role = "agent", credentials = new[] { "*" } });
        (await broker.RunAsync(agent, ["sts", "mint", "--credential", "no_such_aws", "--task", "t"])).Expect(2);

        var (_, otherAdmin) = await broker.CreateKeyAsync(new { name = "admin-2", role = "admin" });
        (await broker.RunAsync(otherAdmin, ["signing-keys", "rotate"])).Expect(3);
        var rotated = (await broker.RunAsync(CliBroker.AdminKey, ["signing-keys", "rotate", "--json"])).Expect(0);
        Assert.False(string.IsNullOrEmpty(rotated.Json["kid"]!.GetValue<string>()));
        (await broker.RunAsync(CliBroker.AdminKey, ["signing-keys", "retire", "no-such-kid"])).Expect(2);
    }

    [Fact]
    public async Task Approvals_OnABrokerWithoutThem_FailWithAClearCode()
    {
        // A broker without approvals answers 404 (2); this one serves them (tests: ApprovalsCommandTests).
        var run = await broker.RunAsync(CliBroker.AdminKey, ["approvals", "list"]);
        Assert.Contains(run.ExitCode, new[] { 2, 0 });
    }
}
