using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Broker.Core;
using Broker.Core.Grants;
using Broker.Minting.Sts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Broker.Minting.Tests;

public sealed partial class StsMinterTests : IAsyncLifetime
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/deployer";
    private FakeSts _sts = null!;
    private readonly FakeCredentialSource _source = new();

    public async Task InitializeAsync()
    {
        _sts = await FakeSts.StartAsync();
        _source.Values["aws-prod"] = new AwsBaseCredential(FakeSts.AccessKeyId, FakeSts.SecretAccessKey, RoleArn);
    }

    public async Task DisposeAsync() => await _sts.DisposeAsync();

    [Fact]
    public async Task AssumeRole_IsSignedCorrectly_AndCarriesTheRequestedShape()
    {
        var policy = JsonDocument.Parse("""{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*" } ] }""").RootElement;
        var caller = TestFixtures.Agent("deploy-bot", "acme", "aws-*");

        var result = await Minter().MintAsync(caller, new StsRequest("aws-prod", "release 42/eu", null, 3600, policy, "alice@example.com"));

        Assert.Equal(FakeSts.SessionAccessKeyId, result.AccessKeyId);
        Assert.Equal(FakeSts.SessionSecret, result.SecretAccessKey);
        Assert.Equal(FakeSts.SessionToken, result.SessionToken);
        Assert.InRange(result.Expiration, DateTimeOffset.UtcNow.AddSeconds(3590), DateTimeOffset.UtcNow.AddSeconds(3610));
        Assert.Equal("arn:aws:sts::123456789012:assumed-role/deployer/deploy-bot@release-42-eu", result.AssumedRoleArn);

        var form = Assert.Single(_sts.Requests);
        Assert.Equal("AssumeRole", form["Action"]);
        Assert.Equal("2011-06-15", form["Version"]);
        Assert.Equal(RoleArn, form["RoleArn"]);
        Assert.Equal("3600", form["DurationSeconds"]);
        Assert.Equal("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}""", form["Policy"]);
        Assert.Equal("deploy-bot@release-42-eu", form["RoleSessionName"]);
        Assert.Equal("deploy-bot", form["SourceIdentity"]);
        var tags = Enumerable.Range(1, 4).ToDictionary(i => form[$"Tags.member.{i}.Key"], i => form[$"Tags.member.{i}.Value"]);
        Assert.Equal(new Dictionary<string, string>
        {
            ["tenant"] = "acme",
            ["agent"] = "deploy-bot",
            ["task"] = "release 42/eu",
            ["on_behalf_of"] = "alice@example.com",
        }, tags);
    }

    [Fact]
    public async Task Defaults_AreNineHundredSeconds_NoPolicy_AndTheCredentialsRole()
    {
        await Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-prod", "t1"));

        var form = Assert.Single(_sts.Requests);
        Assert.Equal("900", form["DurationSeconds"]);
        Assert.False(form.ContainsKey("Policy"));
        Assert.Equal(RoleArn, form["RoleArn"]);
    }

    [Fact]
    public async Task RequestRoleArn_OverridesTheCredentials()
    {
        const string other = "arn:aws:iam::123456789012:role/reader";

        var result = await Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-prod", "t1", other));

        Assert.Equal(other, Assert.Single(_sts.Requests)["RoleArn"]);
        Assert.StartsWith("arn:aws:sts::123456789012:assumed-role/reader/", result.AssumedRoleArn);
    }

    [Fact]
    public async Task NoRoleAnywhere_IsAValidationError()
    {
        _source.Values["aws-norole"] = new AwsBaseCredential(FakeSts.AccessKeyId, FakeSts.SecretAccessKey);

        var ex = await Assert.ThrowsAsync<ValidationException>(() => Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-norole", "t1")));

        Assert.Equal(["roleArn"], ex.Errors.Keys);
        Assert.Empty(_sts.Requests);
    }

    [Fact]
    public async Task WrongStoredSecret_IsUpstream_WithoutKeyMaterial()
    {
        const string wrongSecret = "wrongSecret/0000000000000000000000000000000";
        _source.Values["aws-bad"] = new AwsBaseCredential(FakeSts.AccessKeyId, wrongSecret, RoleArn);

        var ex = await Assert.ThrowsAsync<BrokerOperationException>(() => Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-bad", "t1")));

        Assert.Equal(BrokerErrorKind.Upstream, ex.Kind);
        Assert.Equal(1, _sts.Rejected);
        Assert.Contains("SignatureDoesNotMatch", ex.Message);
        AssertNoKeyMaterial(ex, wrongSecret);
    }

    [Fact]
    public async Task UnknownAccessKey_IsUpstream_WithoutKeyMaterial()
    {
        const string unknownKey = "AKIAUNKNOWNKEY000001";
        _source.Values["aws-unknown"] = new AwsBaseCredential(unknownKey, FakeSts.SecretAccessKey, RoleArn);

        var ex = await Assert.ThrowsAsync<BrokerOperationException>(() => Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-unknown", "t1")));

        Assert.Equal(BrokerErrorKind.Upstream, ex.Kind);
        Assert.Contains("InvalidClientTokenId", ex.Message);
        AssertNoKeyMaterial(ex, unknownKey);
    }

    [Fact]
    public async Task UnreachableSts_IsUpstream()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var ex = await Assert.ThrowsAsync<BrokerOperationException>(() =>
            Minter($"http://127.0.0.1:{closedPort}").MintAsync(TestFixtures.Agent(), new StsRequest("aws-prod", "t1")));

        Assert.Equal(BrokerErrorKind.Upstream, ex.Kind);
        AssertNoKeyMaterial(ex, FakeSts.SecretAccessKey);
    }

    [Theory]
    [InlineData(899)]
    [InlineData(43201)]
    [InlineData(0)]
    public async Task DurationOutside900To43200_IsAValidationError(int duration)
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-prod", "t1", DurationSeconds: duration)));

        Assert.Equal(["durationSeconds"], ex.Errors.Keys);
        Assert.Empty(_sts.Requests);
    }

    [Theory]
    [InlineData(900)]
    [InlineData(43200)]
    public async Task DurationAtTheBounds_IsSent(int duration)
    {
        await Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-prod", "t1", DurationSeconds: duration));

        Assert.Equal(duration.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(_sts.Requests)["DurationSeconds"]);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"Allow everything\"")]
    [InlineData("42")]
    public async Task PolicyThatIsNotAnObject_IsAValidationError(string json)
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-prod", "t1", Policy: JsonDocument.Parse(json).RootElement)));

        Assert.Equal(["policy"], ex.Errors.Keys);
    }

    [Fact]
    public async Task PolicyOver2048Characters_IsAValidationError()
    {
        var tooLong = JsonDocument.Parse($$"""{"Version":"2012-10-17","Sid":"{{new string('x', 2048)}}"}""").RootElement;
        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-prod", "t1", Policy: tooLong)));

        Assert.Equal(["policy"], ex.Errors.Keys);
    }

    [Fact]
    public async Task PolicyOf2048CharactersAfterCompaction_IsSent()
    {
        var prefix = """{"Version":"2012-10-17","Sid":""";
        var filler = new string('x', 2048 - prefix.Length - 3);
        var exact = JsonDocument.Parse("{ \"Version\" : \"2012-10-17\",\n   \"Sid\" : \"" + filler + "\" }").RootElement;

        await Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-prod", "t1", Policy: exact));

        Assert.Equal(2048, Assert.Single(_sts.Requests)["Policy"].Length);
    }

    public static TheoryData<StsRequest, string> InvalidRequests => new()
    {
        { new StsRequest(null, "t"), "credential" },
        { new StsRequest("AWS-PROD", "t"), "credential" },
        { new StsRequest("aws-prod", null), "task" },
        { new StsRequest("aws-prod", "a\r\nb"), "task" },
        { new StsRequest("aws-prod", new string('t', 129)), "task" },
        { new StsRequest("aws-prod", "t", "not-an-arn"), "roleArn" },
        { new StsRequest("aws-prod", "t", "arn:aws:iam::123456789012:role/a b"), "roleArn" },
        { new StsRequest("aws-prod", "t", OnBehalfOf: "a b"), "onBehalfOf" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task InvalidField_IsAValidationErrorNamingIt(StsRequest request, string field)
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() => Minter().MintAsync(TestFixtures.Agent(), request));

        Assert.Equal([field], ex.Errors.Keys);
    }

    [Fact]
    public async Task CredentialOutsideTheAgentsPatterns_IsForbidden()
    {
        var ex = await Assert.ThrowsAsync<GrantRefusedException>(() =>
            Minter().MintAsync(TestFixtures.Agent("a", "default", "github-*"), new StsRequest("aws-prod", "t1")));

        Assert.Equal((BrokerErrorKind.Forbidden, GrantRules.CredentialPattern), (ex.Kind, ex.Rule));
        Assert.Empty(_sts.Requests);
    }

    [Fact]
    public async Task NonAgentKey_IsForbidden()
    {
        var ex = await Assert.ThrowsAsync<BrokerOperationException>(() =>
            Minter().MintAsync(TestFixtures.Agent() with { Role = Role.Admin }, new StsRequest("aws-prod", "t1")));

        Assert.Equal(BrokerErrorKind.Forbidden, ex.Kind);
    }

    [Fact]
    public async Task MissingCredential_IsNotFound()
    {
        var ex = await Assert.ThrowsAsync<BrokerOperationException>(() => Minter().MintAsync(TestFixtures.Agent(), new StsRequest("aws-missing", "t1")));

        Assert.Equal(BrokerErrorKind.NotFound, ex.Kind);
    }

    [Theory]
    [InlineData("agent-1", "deploy", "agent-1@deploy")]
    [InlineData("bot/with:odd*chars", "täsk ünicode", "bot-with-odd-chars@t-sk--nicode")]
    [InlineData("x", "y", "x@y")]
    public void SessionName_FollowsStsRules(string agent, string task, string expected)
    {
        var name = StsNames.SessionName(agent, task);

        Assert.Equal(expected, name);
        Assert.Matches(SessionNameRule(), name);
    }

    [Fact]
    public void LongNames_AreCutToStsLimits_KeepingTheTaskVisible()
    {
        var name = StsNames.SessionName(new string('a', 100), new string('t', 100));
        var identity = StsNames.SourceIdentity("aws:" + new string('b', 100));

        Assert.Matches(SessionNameRule(), name);
        Assert.Equal(64, name.Length);
        Assert.Equal(new string('a', 32) + "@" + new string('t', 31), name);
        Assert.Matches(SessionNameRule(), identity);
        Assert.DoesNotMatch("^aws:", identity);
        Assert.Equal("x-", StsNames.SourceIdentity("x"));
        Assert.Equal(256, StsNames.TagValue(new string('v', 300)).Length);
        Assert.Equal("a_b c/d", StsNames.TagValue("a\"b c/d"));
    }

    [Fact]
    public void Credentials_AndResults_DoNotPrintKeys()
    {
        var credential = new AwsBaseCredential(FakeSts.AccessKeyId, FakeSts.SecretAccessKey);
        var result = new StsResult(FakeSts.SessionAccessKeyId, FakeSts.SessionSecret, FakeSts.SessionToken, DateTimeOffset.UnixEpoch, "arn:x");

        Assert.DoesNotContain(FakeSts.AccessKeyId, credential.ToString());
        Assert.DoesNotContain(FakeSts.SecretAccessKey, credential.ToString());
        Assert.DoesNotContain(FakeSts.SessionSecret, result.ToString());
        Assert.DoesNotContain(FakeSts.SessionToken, result.ToString());
    }

    private StsMinter Minter(string? serviceUrl = null) => new(
        _source,
        Options.Create(new AwsStsOptions { ServiceUrl = serviceUrl ?? _sts.ServiceUrl, Region = "us-east-1", MaxErrorRetry = 0, Timeout = TimeSpan.FromSeconds(10) }),
        NullLogger<StsMinter>.Instance);

    private static void AssertNoKeyMaterial(Exception ex, params string[] extra)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (ReferenceEquals(e, ex))
            {
                foreach (var secret in extra.Concat([FakeSts.AccessKeyId, FakeSts.SecretAccessKey, FakeSts.SessionToken, FakeSts.SessionSecret]))
                {
                    Assert.DoesNotContain(secret, e.Message, StringComparison.Ordinal);
                }
            }
        }

        // The exception the host maps to problem details is ours, with no inner AWS exception to leak through ToString().
        Assert.Null(ex.InnerException);
    }

    [GeneratedRegex(@"^[\w+=,.@-]{2,64}$", RegexOptions.ECMAScript)]
    private static partial Regex SessionNameRule();

    private sealed class FakeCredentialSource : IAwsBaseCredentialSource
    {
        public Dictionary<string, AwsBaseCredential> Values { get; } = [];

        public Task<AwsBaseCredential?> GetAsync(string tenant, string credentialName, CancellationToken cancellationToken = default) =>
            Task.FromResult(Values.GetValueOrDefault(credentialName));
    }
}
