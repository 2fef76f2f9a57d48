using System.Net;
using System.Net.Http.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using static Broker.Server.Tests.AuditTrail;

namespace Broker.Server.Tests;

/// <summary>A mint's record says what was minted (subject, scopes, lifetime; role, duration, user), and a refused mint's record says why.</summary>
public sealed class MintAuditTests
{
    private const string BaseAccessKeyId = "AKIAMINTAUDITBASE001";
    private const string BaseSecret = "mintAuditBaseSecret/K7MDENG+bPxRfiCYEXAMPLE";
    private const string DefaultRole = "arn:aws:iam::123456789012:role/deployer";

    [Fact]
    public async Task TokenMint_IsRecordedWithTheSubjectScopesAndTtlOfTheTokenItMinted()
    {
        using var app = new BrokerApp();
        var (_, agent) = await app.CreateKeyAsync(new { name = "agent-1", role = "agent", tokens = WideGrants.Tokens, sts = WideGrants.Sts, subjects = "any" });
        using var client = app.ClientWith(agent);

        var forAlice = await BrokerApp.JsonAsync(await client.PostAsJsonAsync("/v1/tokens",
            new { audience = "https://api", task = "t1", scopes = new[] { "read", "write", "read" }, ttlSeconds = 300, onBehalfOf = "alice" }));
        var own = await BrokerApp.JsonAsync(await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://api", task = "t2" }));

        var token = new JsonWebToken(forAlice["token"]!.GetValue<string>());
        Assert.Equal("alice", token.Subject);
        Assert.Equal(300, (int)(token.ValidTo - token.IssuedAt).TotalSeconds);
        Assert.Equal(
            [("allowed", $"jti={token.Id} sub=alice onBehalfOf=alice proof=any scopes=read,write ttl=300"), ("allowed", $"jti={own["jti"]} sub=agent-1 scopes= ttl=60")],
            Decisions(await ReadAsync(app, "token.mint", "https://api")));
    }

    [Fact]
    public async Task TokenMint_Refused_IsRecordedDeniedWithTheFieldsAtFault()
    {
        using var app = new BrokerApp();
        var (_, agent) = await app.CreateKeyAsync(new { name = "agent-1", role = "agent", tokens = WideGrants.Tokens, sts = WideGrants.Sts, subjects = "any" });
        using var client = app.ClientWith(agent);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://api", task = "t1", ttlSeconds = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://api", task = "t1", scopes = new[] { "ok" }, onBehalfOf = "not a user" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/v1/tokens", JsonContent.Create("not an object"))).StatusCode);

        Assert.Equal(
            [("denied", "validation fields=ttlSeconds sub=agent-1 scopes= ttl=1"), ("denied", "validation fields=onBehalfOf scopes=ok ttl=60"), ("denied", "validation fields=body")],
            Decisions(await ReadAsync(app, "token.mint")));
    }

    [Fact]
    public async Task StsMint_IsRecordedWithRoleDurationUserAndWhetherAPolicyWasGiven_NeverKeysNorThePolicy()
    {
        await using var sts = await StubSts.StartAsync();
        using var app = new BrokerApp(settings: new() { ["Broker:Aws:ServiceUrl"] = sts.ServiceUrl });
        await app.PutAsync("aws_main", AwsValue(), kind: "aws");
        var (_, agent) = await app.CreateKeyAsync(new { name = "deploy-agent", role = "agent", tokens = WideGrants.Tokens, sts = WideGrants.Sts, subjects = "any", credentials = new[] { "aws_*" } });
        using var client = app.ClientWith(agent);

        var policy = new { Version = "2012-10-17", Statement = new[] { new { Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::very-private-bucket-name/*" } } };
        var withPolicy = await client.PostAsJsonAsync("/v1/sts", new { credential = "aws_main", task = "t1", durationSeconds = 1800, onBehalfOf = "bob", policy });
        var ownRole = await client.PostAsJsonAsync("/v1/sts", new { credential = "aws_main", task = "t2", roleArn = "arn:aws:iam::123456789012:role/other" });

        Assert.Equal(HttpStatusCode.OK, withPolicy.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ownRole.StatusCode);
        var records = await ReadAsync(app, "sts.mint", "aws_main");
        Assert.Equal(
            [
                ("allowed", $"assumedRole={StubSts.AssumedRoleArn} duration=1800 onBehalfOf=bob proof=any policy=yes"),
                ("allowed", $"role=arn:aws:iam::123456789012:role/other assumedRole={StubSts.AssumedRoleArn} duration=900 policy=no"),
            ],
            Decisions(records));
        var trail = string.Join('\n', (await ReadAsync(app)).Select(r => r.ToJsonString()));
        foreach (var never in new[] { "very-private-bucket-name", BaseAccessKeyId, BaseSecret, StubSts.SessionAccessKeyId, StubSts.SessionSecret, StubSts.SessionToken })
        {
            Assert.DoesNotContain(never, trail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StsMint_Refused_IsRecordedDenied_AndAnUpstreamFailureError_EachWithTheReason()
    {
        using var app = new BrokerApp(settings: new() { ["Broker:Aws:ServiceUrl"] = "http://127.0.0.1:9" });
        await app.PutAsync("aws_main", AwsValue(), kind: "aws");
        var (_, narrow) = await app.CreateKeyAsync(new { name = "narrow-agent", role = "agent", tokens = WideGrants.Tokens, sts = WideGrants.Sts, subjects = "any", credentials = new[] { "openai_*" } });
        var (_, wide) = await app.CreateKeyAsync(new { name = "wide-agent", role = "agent", tokens = WideGrants.Tokens, sts = WideGrants.Sts, subjects = "any", credentials = new[] { "*" } });
        using var narrowClient = app.ClientWith(narrow);
        using var wideClient = app.ClientWith(wide);

        Assert.Equal(HttpStatusCode.Forbidden, (await narrowClient.PostAsJsonAsync("/v1/sts", new { credential = "aws_main", task = "t1" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await wideClient.PostAsJsonAsync("/v1/sts", new { credential = "aws_absent", task = "t1" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await wideClient.PostAsJsonAsync("/v1/sts", new { credential = "aws_main", task = "t1", durationSeconds = 10 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, (await wideClient.PostAsJsonAsync("/v1/sts", new { credential = "aws_main", task = "t1", onBehalfOf = "bob", policy = new { Version = "2012-10-17" } })).StatusCode);

        Assert.Equal(
            [
                ("denied", "credential_pattern duration=900 policy=no"),
                ("denied", "not_found duration=900 policy=no"),
                ("denied", "validation fields=durationSeconds duration=10 policy=no"),
                ("error", "upstream duration=900 onBehalfOf=bob proof=any policy=yes"),
            ],
            Decisions(await ReadAsync(app, "sts.mint")));
    }

    private static string AwsValue() =>
        $$"""{"accessKeyId":"{{BaseAccessKeyId}}","secretAccessKey":"{{BaseSecret}}","roleArn":"{{DefaultRole}}"}""";
}
