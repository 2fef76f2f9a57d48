using Broker.Client;
using Broker.Client.Admin;

namespace Broker.Cli.Tests;

public sealed class BrokerAdminClientTests(CliBroker broker) : IClassFixture<CliBroker>
{
    private BrokerAdminClient Client(string key) =>
        new(new Uri("http://localhost"), key, new BrokerAdminClientOptions { HttpMessageHandler = broker.Server.CreateHandler() });

    [Fact]
    public async Task Keys_RoundTrip_AndTheIssuedKeyNeverShowsInToString()
    {
        using var admin = Client(CliBroker.AdminKey);
        var options = new CreateKeyOptions { Name = "sdk-agent", Role = "agent", RateLimitPerMinute = 60 };
        options.Credentials.Add("svc_*");
        var issued = await admin.CreateKeyAsync(options);
        Assert.DoesNotContain(issued.Key, issued.ToString(), StringComparison.Ordinal);
        Assert.Equal(["svc_*"], issued.Credentials);

        var listed = await admin.GetKeyAsync(issued.Id);
        Assert.Equal("active", listed.Status);
        Assert.Equal(60, listed.RateLimitPerMinute);
        Assert.Contains(await admin.ListKeysAsync(), k => k.Id == issued.Id);

        var rotated = await admin.RotateKeyAsync(issued.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(issued.Id, rotated.Id);
        Assert.NotEqual(issued.Key, rotated.Key);

        var revoked = await admin.RevokeKeyAsync(issued.Id);
        Assert.Equal("revoked", revoked.Status);
        var conflict = await Assert.ThrowsAsync<BrokerException>(() => admin.RotateKeyAsync(issued.Id));
        Assert.Equal(409, conflict.Status);

        var missing = await Assert.ThrowsAsync<BrokerException>(() => admin.GetKeyAsync("nope"));
        Assert.Equal(404, missing.Status);
        Assert.Equal("urn:broker:problem:not-found", (await Assert.ThrowsAsync<BrokerException>(() => admin.RevokeKeyAsync("nope"))).ErrorCode);
    }

    [Fact]
    public async Task RevokeLeaked_ReportsTheKeyAndItsUse_AndAnUnknownValueIs404WithoutTheValue()
    {
        using var admin = Client(CliBroker.AdminKey);
        var (id, leaked) = await broker.CreateKeyAsync(new { name = "sdk-leaky", role = "caller" });
        var report = await admin.RevokeLeakedKeyAsync(leaked);
        Assert.Equal(id, report.Id);
        Assert.Equal("caller", report.Role);
        Assert.Equal("revoked", report.Status);

        const string unknown = "brk_sdk-unknown-leaked-value-000000000000";
        var ex = await Assert.ThrowsAsync<BrokerException>(() => admin.RevokeLeakedKeyAsync(unknown));
        Assert.Equal(404, ex.Status);
        Assert.DoesNotContain(unknown, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_WriteDescribeDelete_NeverReturnAValue()
    {
        using var admin = Client(CliBroker.AdminKey);
        var options = new SetCredentialOptions { Value = "sdk-secret-value-0123456789" };
        options.Labels["owner"] = "sdk";
        Assert.DoesNotContain(options.Value, options.ToString(), StringComparison.Ordinal);
        var first = await admin.SetCredentialAsync("sdk_cred", options);
        Assert.True(first.Created);
        Assert.Equal(1, first.Credential.Version);

        var perUser = await admin.SetCredentialAsync("sdk_cred", new SetCredentialOptions { Value = "user-value-0123456789", Subject = "alice" });
        Assert.Equal("alice", perUser.Credential.Subject);

        var precondition = await Assert.ThrowsAsync<BrokerException>(() => admin.SetCredentialAsync("sdk_cred", new SetCredentialOptions { Value = "v3-value-0123456789", IfMatchVersion = 5 }));
        Assert.Equal(412, precondition.Status);
        var second = await admin.SetCredentialAsync("sdk_cred", new SetCredentialOptions { Value = "v2-value-0123456789", IfMatchVersion = 1 });
        Assert.False(second.Created);
        Assert.Equal(2, second.Credential.Version);

        var details = await admin.GetCredentialAsync("sdk_cred");
        Assert.Equal([1, 2], details.Versions.Select(v => v.Version).Order());
        Assert.Equal("sdk", details.Labels!["owner"]);
        Assert.Contains(await admin.ListCredentialsAsync(), c => c.Name == "sdk_cred" && c.Subject == "alice");

        await admin.DeleteCredentialAsync("sdk_cred", "alice");
        await admin.DeleteCredentialAsync("sdk_cred");
        var gone = await Assert.ThrowsAsync<CredentialNotFoundException>(() => admin.GetCredentialAsync("sdk_cred"));
        Assert.Equal(("sdk_cred", 404), (gone.Name, gone.Status));
        await Assert.ThrowsAsync<CredentialNotFoundException>(() => admin.DeleteCredentialAsync("sdk_cred"));
    }

    [Fact]
    public async Task Audit_QueryVerifyAndValueReads_AndRolesAreEnforced()
    {
        using var admin = Client(CliBroker.AdminKey);
        await admin.SetCredentialAsync("sdk_audited", new SetCredentialOptions { Value = "audited-value-0123456789" });
        var writes = await admin.QueryAuditAsync(new AuditQueryOptions { Action = "credential.write", Limit = 1000, Since = DateTimeOffset.UtcNow.AddHours(-1) });
        Assert.Contains(writes, r => r.Target == "sdk_audited" && r.Outcome == "allowed" && r.Hash.Length == 64);
        Assert.True((await admin.VerifyAuditAsync()).Valid);
        Assert.Empty(await admin.FindValueReadsAsync("never-served-value-0000"));

        var (_, responderKey) = await broker.CreateKeyAsync(new { name = "sdk-responder", role = "responder" });
        using var responder = Client(responderKey);
        Assert.NotEmpty(await responder.QueryAuditAsync());
        Assert.Equal(403, (await Assert.ThrowsAsync<BrokerException>(() => responder.VerifyAuditAsync())).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<BrokerException>(() => responder.ListCredentialsAsync())).Status);

        using var nobody = Client("brk_sdk-nobody-000000000000000000000000");
        Assert.Equal(401, (await Assert.ThrowsAsync<BrokerException>(() => nobody.ListKeysAsync())).Status);
        var invalid = await Assert.ThrowsAsync<BrokerException>(() => admin.QueryAuditAsync(new AuditQueryOptions { Limit = 5000 }));
        Assert.Equal(400, invalid.Status);
    }

    [Fact]
    public async Task Mints_UseTheClientsAgentKey()
    {
        var (_, agentKey) = await broker.CreateKeyAsync(new { name = "sdk-minter", role = "agent", credentials = new[] { "*" }, tokens = new { audiences = new[] { "*" } } });
        using var agent = Client(agentKey);
        var token = await agent.MintTokenAsync(new TokenRequest { Audience = "https://svc.example", Task = "sdk-test" });
        Assert.False(string.IsNullOrEmpty(token.Jti));
        Assert.Equal(404, (await Assert.ThrowsAsync<BrokerException>(() => agent.GetAwsCredentialsAsync(new AwsCredentialsRequest { Credential = "no_aws", Task = "t" }))).Status);
    }

    [Fact]
    public async Task Grants_CreateListAndUpdate_RoundTrip_AndAnUpdateNarrowsAtOnce()
    {
        using var admin = Client(CliBroker.AdminKey);
        var options = new CreateKeyOptions
        {
            Name = "sdk-granted", Role = "agent",
            Tokens = new BrokerTokenGrant(["https://api.example/*"], ["orders:*"], 600),
            Sts = new BrokerStsGrant(["arn:aws:iam::*:role/reader"], 900),
            Subjects = "any",
            Approval = new BrokerApprovalGrant(Scopes: ["payments:*"]),
        };
        options.Credentials.Add("sdk_granted_*");
        var issued = await admin.CreateKeyAsync(options);
        Assert.Equal(["https://api.example/*"], issued.Tokens!.Audiences);

        var listed = await admin.GetKeyAsync(issued.Id);
        Assert.Equal(["orders:*"], listed.Tokens!.Scopes);
        Assert.Equal(600, listed.Tokens.MaxTtlSeconds);
        Assert.Equal(["arn:aws:iam::*:role/reader"], listed.Sts!.Roles);
        Assert.Equal(900, listed.Sts.MaxDurationSeconds);
        Assert.Equal("any", listed.Subjects);
        Assert.Equal(["payments:*"], listed.Approval!.Scopes);

        using var agent = Client(issued.Key);
        Assert.NotNull(await agent.MintTokenAsync(new TokenRequest { Audience = "https://api.example/v1", Task = "sdk-grant" }));
        var updated = await admin.UpdateKeyAsync(issued.Id, new UpdateKeyOptions { Tokens = new BrokerTokenGrant(["https://other.example"]), Credentials = [] });

        Assert.Equal(["https://other.example"], updated.Tokens!.Audiences);
        Assert.Empty(updated.Credentials!);
        Assert.Equal("any", updated.Subjects); // left out: unchanged
        Assert.Equal(900, updated.Sts!.MaxDurationSeconds);
        var refused = await Assert.ThrowsAsync<BrokerException>(() => agent.MintTokenAsync(new TokenRequest { Audience = "https://api.example/v1", Task = "sdk-grant" }));
        Assert.Equal(403, refused.Status);
        Assert.StartsWith("Rule token_audience:", refused.Message, StringComparison.Ordinal);
        Assert.Equal(404, (await Assert.ThrowsAsync<BrokerException>(() => admin.UpdateKeyAsync("nope", new UpdateKeyOptions { Subjects = "proven" }))).Status);
    }

    [Fact]
    public async Task Credentials_PutWithAgentAccessUse_IsShownAndNeverReadByAgents()
    {
        using var admin = Client(CliBroker.AdminKey);
        var written = await admin.SetCredentialAsync("sdk_use_only", new SetCredentialOptions { Value = "use-only-value-0123456789", AgentAccess = "use" });
        Assert.Equal("use", written.Credential.AgentAccess);
        Assert.Equal("use", (await admin.GetCredentialAsync("sdk_use_only")).AgentAccess);
        Assert.Contains(await admin.ListCredentialsAsync(), c => c.Name == "sdk_use_only" && c.AgentAccess == "use");
        await admin.SetCredentialAsync("sdk_readable", new SetCredentialOptions { Value = "readable-value-0123456789" });
        Assert.Equal("read", (await admin.GetCredentialAsync("sdk_readable")).AgentAccess);

        var (_, agentKey) = await broker.CreateKeyAsync(new { name = "sdk-use-reader", role = "agent", credentials = new[] { "sdk_use_only" } });
        using var agent = broker.ClientWith(agentKey);
        using var read = await agent.GetAsync("/v1/agent/credentials/sdk_use_only");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, read.StatusCode);
    }

    [Fact]
    public async Task TheClient_CanBeMocked_AndValidatesItsOptions()
    {
        var mock = new Mocked();
        Assert.Equal("mocked", (await mock.GetKeyAsync("x")).Name);
        Assert.Throws<ArgumentException>(() => new BrokerAdminClient(new BrokerAdminClientOptions { Endpoint = new Uri("http://localhost") }));
        Assert.Throws<ArgumentException>(() => new BrokerAdminClient(new BrokerAdminClientOptions { ApiKey = "brk_x" }));
        using var client = Client(CliBroker.AdminKey);
        client.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ListKeysAsync());
    }

    private sealed class Mocked : BrokerAdminClient
    {
        public override Task<BrokerKey> GetKeyAsync(string id, CancellationToken cancellationToken = default) =>
            Task.FromResult(new BrokerKey(id, "mocked", "agent", "default", "brk_0123456", "active", DateTimeOffset.UnixEpoch, null, null, null, null, null, null, null, null));
    }
}
