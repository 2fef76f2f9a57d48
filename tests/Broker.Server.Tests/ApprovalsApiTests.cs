using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Broker.Server.Tests;

/// <summary>
/// Human approval (API.md v1.1 "Approvals") on the real host with two keys, an agent and an approver: a request the
/// agent's <c>approval</c> grant names answers 202 and carries nothing out; once approved (narrower, perhaps) the same
/// key repeats the same request with <c>Broker-Approval</c> and gets its result once; everything else is 403 naming the rule.
/// </summary>
public sealed class ApprovalsApiTests : IDisposable
{
    internal const string StripeValue = "sk_live_approvals-test-secret-value-0001";
    internal const string AdminRole = "arn:aws:iam::123456789012:role/admin";
    private const string BaseAccessKeyId = "AKIAAPPROVALSBASE001";
    private const string BaseSecret = "approvalsBaseSecret/K7MDENG+bPxRfiCYEXAMPLE";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly StubSts _sts;
    private readonly BrokerApp _app;

    public ApprovalsApiTests()
    {
        _sts = StubSts.StartAsync().GetAwaiter().GetResult();
        _app = new BrokerApp(settings: new() { ["Broker:Aws:ServiceUrl"] = _sts.ServiceUrl });
    }

    public void Dispose()
    {
        _app.Dispose();
        _sts.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>An agent whose approval grant names payments scopes, the admin role and stripe credentials.</summary>
    internal static object ApprovalAgent(string name) => new
    {
        name, role = "agent", credentials = new[] { "*" }, tokens = WideGrants.Tokens, sts = WideGrants.Sts, subjects = "any",
        approval = new { scopes = new[] { "payments:*" }, roles = new[] { AdminRole }, credentials = new[] { "stripe_*" } },
    };

    internal static async Task<(HttpClient Agent, HttpClient Approver, string AgentId)> KeysAsync(BrokerApp app)
    {
        var (agentId, agent) = await app.CreateKeyAsync(ApprovalAgent("pay-agent"));
        var (_, approver) = await app.CreateKeyAsync(new { name = "alice", role = "approver" });
        return (app.ClientWith(agent), app.ClientWith(approver), agentId);
    }

    internal static Task<HttpResponseMessage> MintAsync(HttpClient agent, string? approval = null, string[]? scopes = null, int ttl = 300)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tokens")
        {
            Content = JsonContent.Create(new { audience = "https://pay.example", task = "refund-42", scopes = scopes ?? ["payments:write", "orders:read"], ttlSeconds = ttl }),
        };
        if (approval is not null)
        {
            request.Headers.Add("Broker-Approval", approval);
        }

        return agent.SendAsync(request);
    }

    /// <summary>Asserts the 202 of a held request and returns the approval id.</summary>
    internal static async Task<string> AssertPendingAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        var id = json["approvalId"]!.GetValue<string>();
        Assert.Equal("pending", json["status"]!.GetValue<string>());
        Assert.NotNull(json["expiresAt"]);
        Assert.Equal($"/v1/approvals/{id}", response.Headers.Location!.OriginalString);
        Assert.DoesNotContain("token", json.AsObject().Select(p => p.Key));
        return id;
    }

    internal static async Task<JsonNode> DecideAsync(HttpClient approver, string id, string verdict, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await approver.PostAsJsonAsync($"/v1/approvals/{id}/{verdict}", body ?? new { reason = "checked with finance" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private Task PutAwsAsync() =>
        _app.PutAsync("aws_main", $$"""{"accessKeyId":"{{BaseAccessKeyId}}","secretAccessKey":"{{BaseSecret}}","roleArn":"arn:aws:iam::123456789012:role/deployer"}""", kind: "aws");

    /// <summary>The STS request the agent's approval grant holds for a human (the admin role), with or without the approval.</summary>
    private static HttpRequestMessage Sts(string? approval)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sts")
        {
            Content = JsonContent.Create(new { credential = "aws_main", task = "rotate-db", roleArn = AdminRole, durationSeconds = 3600 }),
        };
        if (approval is not null)
        {
            request.Headers.Add("Broker-Approval", approval);
        }

        return request;
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string rule)
    {
        var problem = await Actors.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.StartsWith($"Rule {rule}:", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_NeedingApproval_Is202_ThenTheApprovedRepeatMintsOnce_AndEveryStepIsAudited()
    {
        var (agent, approver, agentId) = await KeysAsync(_app);
        using var _ = agent;
        using var __ = approver;

        var id = await AssertPendingAsync(await MintAsync(agent));
        var own = await BrokerApp.JsonAsync(await agent.GetAsync($"/v1/approvals/{id}"));
        Assert.Equal("pending", own["status"]!.GetValue<string>());

        var listed = (await BrokerApp.JsonAsync(await approver.GetAsync("/v1/approvals?status=pending")))["items"]!.AsArray().Single()!;
        Assert.Equal(id, listed["id"]!.GetValue<string>());
        Assert.Equal("token", listed["kind"]!.GetValue<string>());
        Assert.Equal("https://pay.example", listed["target"]!.GetValue<string>());
        Assert.Equal(["orders:read", "payments:write"], listed["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("refund-42", listed["task"]!.GetValue<string>());
        Assert.Equal("pay-agent", listed["requestedBy"]!.GetValue<string>());

        var approved = await DecideAsync(approver, id, "approve");
        Assert.Equal("approved", approved["status"]!.GetValue<string>());
        Assert.Equal("alice", approved["decidedBy"]!.GetValue<string>());

        using var minted = await MintAsync(agent, id);
        Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        var token = new JsonWebToken((await BrokerApp.JsonAsync(minted))["token"]!.GetValue<string>());
        Assert.Equal("payments:write orders:read", token.GetClaim("scope").Value);

        await AssertRefusedAsync(await MintAsync(agent, id), "approval_used");

        Assert.Equal("allowed", (await AuditTrail.ReadAsync(_app, "approval.request")).Single()["outcome"]!.GetValue<string>());
        Assert.Single(await AuditTrail.ReadAsync(_app, "approval.approve"));
        var consumes = await AuditTrail.ReadAsync(_app, "approval.consume");
        Assert.Equal(["allowed", "denied"], consumes.Select(r => r["outcome"]!.GetValue<string>()));
        Assert.Equal(agentId, consumes[0]["actor"]!["keyId"]!.GetValue<string>());
        Assert.StartsWith("approval_used", consumes[1]["reason"]!.GetValue<string>());
        Assert.Contains(await AuditTrail.ReadAsync(_app, "token.mint"), r => r["outcome"]!.GetValue<string>() == "allowed");
    }

    [Fact]
    public async Task Wait_IsWokenByTheDecision_AtOnce()
    {
        var (agent, approver, _) = await KeysAsync(_app);
        using var a = agent;
        using var b = approver;
        var id = await AssertPendingAsync(await MintAsync(agent));

        var waiting = agent.GetAsync($"/v1/approvals/{id}?wait=30");
        await Task.Delay(200); // let the wait begin; the assertion below does not depend on it
        var started = System.Diagnostics.Stopwatch.StartNew();
        await DecideAsync(approver, id, "approve");
        using var answered = await waiting.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("approved", (await BrokerApp.JsonAsync(answered))["status"]!.GetValue<string>());
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"the waiter answered after {started.Elapsed}");
    }

    [Fact]
    public async Task Wait_OfARevokedKey_Is401_NotTheApproval()
    {
        var (agentId, agentKey) = await _app.CreateKeyAsync(ApprovalAgent("doomed"));
        using var agent = _app.ClientWith(agentKey);
        var id = await AssertPendingAsync(await MintAsync(agent));

        var waiting = agent.GetAsync($"/v1/approvals/{id}?wait=30");
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{agentId}/revoke", null)).StatusCode);
        using var answered = await waiting.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.Unauthorized, answered.StatusCode);
    }

    [Fact]
    public async Task Sts_ForTheAdminRole_WaitsForApproval_AndTheNarrowedDurationApplies()
    {
        await PutAwsAsync();
        var (agent, approver, _) = await KeysAsync(_app);
        using var a = agent;
        using var b = approver;
        var id = await AssertPendingAsync(await agent.SendAsync(Sts(null)));
        var listed = await BrokerApp.JsonAsync(await approver.GetAsync($"/v1/approvals/{id}"));
        Assert.Equal("sts", listed["kind"]!.GetValue<string>());
        Assert.Equal(AdminRole, listed["roleArn"]!.GetValue<string>());
        await DecideAsync(approver, id, "approve", new { ttlSeconds = 900 });

        using var minted = await agent.SendAsync(Sts(id));
        Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        Assert.Equal(StubSts.SessionAccessKeyId, (await BrokerApp.JsonAsync(minted))["accessKeyId"]!.GetValue<string>());
        var record = (await AuditTrail.ReadAsync(_app, "sts.mint")).Last();
        Assert.Contains("duration=900", record["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertRefusedAsync(await agent.SendAsync(Sts(id)), "approval_used");
    }

    [Fact]
    public async Task Sts_RefusedByStsAfterTheApprovalWasConsumed_GivesTheApprovalBack_AndTheRetryMintsOnce()
    {
        await PutAwsAsync();
        var (agent, approver, _) = await KeysAsync(_app);
        using var a = agent;
        using var b = approver;
        var id = await AssertPendingAsync(await agent.SendAsync(Sts(null)));
        await DecideAsync(approver, id, "approve");
        _sts.RefuseNext(1);

        using var refused = await agent.SendAsync(Sts(id));
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Null((await BrokerApp.JsonAsync(await approver.GetAsync($"/v1/approvals/{id}")))["consumedAt"]);
        using var minted = await agent.SendAsync(Sts(id));
        Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        await AssertRefusedAsync(await agent.SendAsync(Sts(id)), "approval_used");

        var releases = await AuditTrail.ReadAsync(_app, "approval.release");
        Assert.Equal([("allowed", "upstream")], releases.Select(r => (r["outcome"]!.GetValue<string>(), r["reason"]!.GetValue<string>().Split(' ')[0])));
        Assert.Equal(id, releases[0]["target"]!.GetValue<string>());
    }

    [Fact]
    public async Task CredentialRead_ThatTheStoreFailsAfterTheApprovalWasConsumed_GivesTheApprovalBack()
    {
        using var app = new BrokerApp(services: s => s.Replace(ServiceDescriptor.Singleton<Broker.Credentials.ICredentialStore>(sp =>
            new InterleavingCredentialStore(new Broker.Storage.Sqlite.Credentials.SqliteCredentialStore(sp.GetRequiredService<Broker.Storage.Sqlite.SqliteDatabase>())))));
        await app.PutAsync("stripe_key", StripeValue);
        var (agent, approver, _) = await KeysAsync(app);
        using var a = agent;
        using var b = approver;
        HttpRequestMessage Read(string? approval)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/v1/agent/credentials/stripe_key");
            if (approval is not null)
            {
                request.Headers.Add("Broker-Approval", approval);
            }

            return request;
        }

        var id = await AssertPendingAsync(await agent.SendAsync(Read(null)));
        await DecideAsync(approver, id, "approve");
        ((InterleavingCredentialStore)app.Services.GetRequiredService<Broker.Credentials.ICredentialStore>()).FailNextGet();

        using var failed = await agent.SendAsync(Read(id));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        using var served = await agent.SendAsync(Read(id));
        Assert.Equal(StripeValue, (await BrokerApp.JsonAsync(served))["value"]!.GetValue<string>());
        await AssertRefusedAsync(await agent.SendAsync(Read(id)), "approval_used");
        var release = Assert.Single(await AuditTrail.ReadAsync(app, "approval.release"));
        Assert.StartsWith("unavailable", release["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CredentialRead_WaitsForApproval_IsNotInTheFeed_AndIsServedOnceApproved()
    {
        await _app.PutAsync("stripe_key", StripeValue);
        await _app.PutAsync("plain_key", "plain-value-0000000001");
        var (agent, approver, _) = await KeysAsync(_app);
        using var a = agent;
        using var b = approver;

        var feed = await BrokerApp.JsonAsync(await agent.GetAsync("/v1/agent/credentials"));
        Assert.Equal(["plain_key"], feed["credentials"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        var id = await AssertPendingAsync(await agent.GetAsync("/v1/agent/credentials/stripe_key"));
        await DecideAsync(approver, id, "approve");

        HttpRequestMessage Read() => new(HttpMethod.Get, "/v1/agent/credentials/stripe_key") { Headers = { { "Broker-Approval", id } } };
        using var read = await agent.SendAsync(Read());
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(StripeValue, (await BrokerApp.JsonAsync(read))["value"]!.GetValue<string>());
        await AssertRefusedAsync(await agent.SendAsync(Read()), "approval_used");
    }

    [Fact]
    public async Task Replay_ByAnotherKey_WithOtherParameters_Twice_OrBeforeTheDecision_IsEach403NamingTheRule()
    {
        var (agent, approver, _) = await KeysAsync(_app);
        var (_, otherKey) = await _app.CreateKeyAsync(ApprovalAgent("other-agent"));
        using var other = _app.ClientWith(otherKey);
        using var a = agent;
        using var b = approver;
        var id = await AssertPendingAsync(await MintAsync(agent));

        await AssertRefusedAsync(await MintAsync(agent, id), "approval_pending");
        await DecideAsync(approver, id, "approve");
        await AssertRefusedAsync(await MintAsync(other, id), "approval_key");
        await AssertRefusedAsync(await MintAsync(agent, id, ttl: 301), "approval_parameters");
        await AssertRefusedAsync(await MintAsync(agent, id, scopes: ["payments:write"]), "approval_parameters");
        await AssertRefusedAsync(await MintAsync(agent, "apr_AAAAAAAAAAAAAAAAAAAAAA"), "approval_unknown");
        await AssertRefusedAsync(await MintAsync(agent, "not-an-id"), "approval_unknown");

        // None of those used it up: the right request still gets its one result.
        Assert.Equal(HttpStatusCode.OK, (await MintAsync(agent, id)).StatusCode);
        await AssertRefusedAsync(await MintAsync(agent, id), "approval_used");
    }

    [Fact]
    public async Task ConcurrentReplays_OfOneApproval_MintExactlyOnce()
    {
        var (agent, approver, _) = await KeysAsync(_app);
        using var a = agent;
        using var b = approver;
        var id = await AssertPendingAsync(await MintAsync(agent));
        await DecideAsync(approver, id, "approve");

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => MintAsync(agent, id)));

        Assert.Equal(1, answers.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(7, answers.Count(r => r.StatusCode == HttpStatusCode.Forbidden));
    }

    [Fact]
    public async Task Denial_IsTold_ItsReplayIs403_AndASecondDecisionIs409()
    {
        var (agent, approver, _) = await KeysAsync(_app);
        using var a = agent;
        using var b = approver;
        var id = await AssertPendingAsync(await MintAsync(agent));

        await Actors.AssertProblemAsync(await approver.PostAsJsonAsync($"/v1/approvals/{id}/deny", new { }), HttpStatusCode.BadRequest);
        var denied = await DecideAsync(approver, id, "deny", new { reason = "no refunds on Fridays" });
        Assert.Equal("denied", denied["status"]!.GetValue<string>());

        var seen = await BrokerApp.JsonAsync(await agent.GetAsync($"/v1/approvals/{id}?wait=5"));
        Assert.Equal("denied", seen["status"]!.GetValue<string>());
        Assert.Equal("no refunds on Fridays", seen["reason"]!.GetValue<string>());
        await AssertRefusedAsync(await MintAsync(agent, id), "approval_denied");
        await DecideAsync(approver, id, "approve", expected: HttpStatusCode.Conflict);
        await DecideAsync(approver, id, "deny", expected: HttpStatusCode.Conflict);
        Assert.Single(await AuditTrail.ReadAsync(_app, "approval.deny"), r => r["outcome"]!.GetValue<string>() == "allowed");
    }

    [Fact]
    public async Task Narrowing_AppliesFewerScopesAndAShorterTtl_AndWideningIs400()
    {
        var (agent, approver, _) = await KeysAsync(_app);
        using var a = agent;
        using var b = approver;
        var id = await AssertPendingAsync(await MintAsync(agent));

        await DecideAsync(approver, id, "approve", new { scopes = new[] { "payments:admin" } }, HttpStatusCode.BadRequest);
        await DecideAsync(approver, id, "approve", new { ttlSeconds = 301 }, HttpStatusCode.BadRequest);
        await DecideAsync(approver, id, "approve", new { ttlSeconds = 4 }, HttpStatusCode.BadRequest);
        Assert.Equal("pending", (await BrokerApp.JsonAsync(await approver.GetAsync($"/v1/approvals/{id}")))["status"]!.GetValue<string>());
        var approved = await DecideAsync(approver, id, "approve", new { scopes = new[] { "orders:read" }, ttlSeconds = 60 });
        Assert.Equal(60, approved["ttlSeconds"]!.GetValue<int>());

        using var minted = await MintAsync(agent, id);
        var token = new JsonWebToken((await BrokerApp.JsonAsync(minted))["token"]!.GetValue<string>());
        Assert.Equal("orders:read", token.GetClaim("scope").Value);
        Assert.Equal(60, (int)(token.ValidTo - token.IssuedAt).TotalSeconds);
    }

    [Fact]
    public async Task Approvals_SurviveARestart()
    {
        var dataDir = BrokerApp.NewDataDir();
        string id;
        string agentKey;
        string approverKey;
        using (var first = new BrokerApp(dataDir: dataDir))
        {
            (_, agentKey) = await first.CreateKeyAsync(ApprovalAgent("pay-agent"));
            (_, approverKey) = await first.CreateKeyAsync(new { name = "alice", role = "approver" });
            using var agent = first.ClientWith(agentKey);
            id = await AssertPendingAsync(await MintAsync(agent));
        }

        using var second = new BrokerApp(dataDir: dataDir);
        using var approver = second.ClientWith(approverKey);
        using var again = second.ClientWith(agentKey);
        await DecideAsync(approver, id, "approve");
        Assert.Equal(HttpStatusCode.OK, (await MintAsync(again, id)).StatusCode);
    }

    [Fact]
    public async Task Approvals_NeverHoldTheValue_NorDoesTheAuditOrTheList()
    {
        await _app.PutAsync("stripe_key", StripeValue);
        var (agent, approver, _) = await KeysAsync(_app);
        using var a = agent;
        using var b = approver;
        var id = await AssertPendingAsync(await agent.GetAsync("/v1/agent/credentials/stripe_key"));
        await DecideAsync(approver, id, "approve");
        using var read = await agent.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1/agent/credentials/stripe_key") { Headers = { { "Broker-Approval", id } } });
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        var list = await approver.GetStringAsync("/v1/approvals");
        using var admin = _app.Admin();
        var audit = await admin.GetStringAsync("/v1/audit?limit=1000");
        Assert.DoesNotContain(StripeValue, list, StringComparison.Ordinal);
        Assert.DoesNotContain(StripeValue, audit, StringComparison.Ordinal);
        Assert.Contains("approval.consume", audit, StringComparison.Ordinal);
    }
}

/// <summary>Expiry on a fake clock: a pending request past <c>Broker:Approvals:Ttl</c> reads as expired and can be neither decided nor used.</summary>
public sealed class ApprovalExpiryTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
    private readonly BrokerApp _app;

    public ApprovalExpiryTests() => _app = new BrokerApp(_time, new() { ["Broker:Approvals:Ttl"] = "00:05:00" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task PendingPastItsTtl_IsExpired_409ToDecide_403ToUse()
    {
        var (agent, approver, _) = await ApprovalsApiTests.KeysAsync(_app);
        using var a = agent;
        using var b = approver;
        using var pending = await ApprovalsApiTests.MintAsync(agent);
        var id = await ApprovalsApiTests.AssertPendingAsync(pending);
        Assert.Equal(_time.GetUtcNow().AddMinutes(5), (await BrokerApp.JsonAsync(await agent.GetAsync($"/v1/approvals/{id}")))["expiresAt"]!.GetValue<DateTimeOffset>());

        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));

        Assert.Equal("expired", (await BrokerApp.JsonAsync(await agent.GetAsync($"/v1/approvals/{id}")))["status"]!.GetValue<string>());
        Assert.Empty((await BrokerApp.JsonAsync(await approver.GetAsync("/v1/approvals?status=pending")))["items"]!.AsArray());
        Assert.Single((await BrokerApp.JsonAsync(await approver.GetAsync("/v1/approvals?status=expired")))["items"]!.AsArray());
        await ApprovalsApiTests.DecideAsync(approver, id, "approve", expected: HttpStatusCode.Conflict);
        var problem = await Actors.AssertProblemAsync(await ApprovalsApiTests.MintAsync(agent, id), HttpStatusCode.Forbidden);
        Assert.StartsWith("Rule approval_expired:", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task ApprovedButUnusedPastItsTtl_IsExpired_AndCannotBeUsed()
    {
        var (agent, approver, _) = await ApprovalsApiTests.KeysAsync(_app);
        using var a = agent;
        using var b = approver;
        var id = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent));
        await ApprovalsApiTests.DecideAsync(approver, id, "approve");

        _time.Advance(TimeSpan.FromMinutes(6));

        var problem = await Actors.AssertProblemAsync(await ApprovalsApiTests.MintAsync(agent, id), HttpStatusCode.Forbidden);
        Assert.StartsWith("Rule approval_expired:", problem["detail"]!.GetValue<string>());
    }
}
