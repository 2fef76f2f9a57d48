using System.Text.Json;
using Broker.Core;
using Broker.Minting.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Broker.Minting.Tests;

public sealed class TokenMinterTests
{
    [Fact]
    public async Task Token_CarriesTheContractClaims_AndHeader()
    {
        using var rig = new MintingRig(new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        var caller = TestFixtures.Agent("deploy-bot", "acme");

        var result = await rig.Minter.MintAsync(caller, new MintTokenRequest("https://api.example", "task-7", ["read", "write", "read"], 120));

        var token = new JsonWebToken(result.Token);
        Assert.Equal("Bearer", result.TokenType);
        Assert.Equal("ES256", token.Alg);
        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal((await rig.Keys.GetSnapshotAsync()).Current.Kid, token.Kid);
        Assert.Equal("https://broker.test/tenants/acme", token.Issuer);
        Assert.Equal(["https://api.example"], token.Audiences);
        Assert.Equal("deploy-bot", token.Subject);
        Assert.Equal("read write", token.GetClaim("scope").Value);
        Assert.Equal("task-7", token.GetClaim("task_id").Value);
        Assert.Equal("acme", token.GetClaim("tenant").Value);
        Assert.Equal("deploy-bot", token.GetClaim("client_id").Value);
        Assert.Equal(result.Jti, token.Id);
        Assert.False(token.TryGetPayloadValue<object>("act", out _));
        var issuedAt = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        Assert.Equal(issuedAt, new DateTimeOffset(token.IssuedAt));
        Assert.Equal(issuedAt.AddSeconds(120), result.ExpiresAt);
        Assert.Equal(result.ExpiresAt, new DateTimeOffset(token.ValidTo));
    }

    [Fact]
    public async Task OnBehalfOf_MakesTheUserTheSubject_AndTheAgentTheActor()
    {
        using var rig = new MintingRig();

        var result = await rig.MintAsync(onBehalfOf: "alice@example.com", caller: TestFixtures.Agent("mail-agent"));

        var token = new JsonWebToken(result.Token);
        Assert.Equal("alice@example.com", token.Subject);
        var act = token.GetPayloadValue<JsonElement>("act");
        Assert.Equal(JsonValueKind.Object, act.ValueKind);
        Assert.Equal("mail-agent", act.GetProperty("sub").GetString());
        Assert.Single(act.EnumerateObject());
    }

    [Fact]
    public async Task TtlDefaultsTo60Seconds()
    {
        using var rig = new MintingRig();

        var result = await rig.Minter.MintAsync(TestFixtures.Agent(), new MintTokenRequest("aud", "t"));

        var token = new JsonWebToken(result.Token);
        Assert.Equal(TimeSpan.FromSeconds(60), token.ValidTo - token.IssuedAt);
        Assert.Equal(string.Empty, token.GetClaim("scope").Value);
    }

    [Fact]
    public async Task Jti_IsUniquePerToken()
    {
        using var rig = new MintingRig();
        var jtis = new HashSet<string>();
        for (var i = 0; i < 500; i++)
        {
            Assert.True(jtis.Add((await rig.MintAsync()).Jti));
        }

        Assert.All(jtis, j => Assert.Equal(22, j.Length));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(3601)]
    public async Task TtlOutside5To3600_IsRejected(int ttl)
    {
        using var rig = new MintingRig();

        var ex = await Assert.ThrowsAsync<ValidationException>(() => rig.MintAsync(ttl: ttl).AsTask());

        Assert.Equal(["ttlSeconds"], ex.Errors.Keys);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(3600)]
    public async Task TtlAtTheBounds_IsAccepted(int ttl)
    {
        using var rig = new MintingRig();

        var result = await rig.MintAsync(ttl: ttl);

        Assert.Equal(rig.Time.GetUtcNow().ToUnixTimeSeconds() + ttl, result.ExpiresAt.ToUnixTimeSeconds());
    }

    public static TheoryData<MintTokenRequest, string> InvalidRequests => new()
    {
        { new MintTokenRequest(null, "t"), "audience" },
        { new MintTokenRequest("", "t"), "audience" },
        { new MintTokenRequest("aud\n", "t"), "audience" },
        { new MintTokenRequest("a b", "t"), "audience" },
        { new MintTokenRequest(new string('a', 513), "t"), "audience" },
        { new MintTokenRequest("aud", null), "task" },
        { new MintTokenRequest("aud", "  "), "task" },
        { new MintTokenRequest("aud", "line\nbreak"), "task" },
        { new MintTokenRequest("aud", "bidi\u202Eoverride"), "task" },
        { new MintTokenRequest("aud", "nul\0"), "task" },
        { new MintTokenRequest("aud", new string('t', 129)), "task" },
        { new MintTokenRequest("aud", "t", ["has space"]), "scopes" },
        { new MintTokenRequest("aud", "t", ["quote\""]), "scopes" },
        { new MintTokenRequest("aud", "t", [""]), "scopes" },
        { new MintTokenRequest("aud", "t", [new string('s', 129)]), "scopes" },
        { new MintTokenRequest("aud", "t", Enumerable.Range(0, 65).Select(i => "s" + i).ToArray()), "scopes" },
        { new MintTokenRequest("aud", "t", Enumerable.Range(0, 64).Select(i => i + new string('s', 60)).ToArray()), "scopes" },
        { new MintTokenRequest("aud", "t", OnBehalfOf: "alice smith"), "onBehalfOf" },
        { new MintTokenRequest("aud", "t", OnBehalfOf: ""), "onBehalfOf" },
        { new MintTokenRequest("aud", "t", OnBehalfOf: new string('u', 257)), "onBehalfOf" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task InvalidField_IsAValidationErrorNamingIt(MintTokenRequest request, string field)
    {
        using var rig = new MintingRig();

        var ex = await Assert.ThrowsAsync<ValidationException>(() => rig.Minter.MintAsync(TestFixtures.Agent(), request).AsTask());

        Assert.Equal([field], ex.Errors.Keys);
    }

    [Fact]
    public async Task EveryInvalidField_IsReportedAtOnce()
    {
        using var rig = new MintingRig();

        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            rig.Minter.MintAsync(TestFixtures.Agent(), new MintTokenRequest(null, null, ["a b"], 1, "x y")).AsTask());

        Assert.Equal(["audience", "onBehalfOf", "scopes", "task", "ttlSeconds"], ex.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(Role.Admin)]
    [InlineData(Role.Responder)]
    [InlineData(Role.Caller)]
    public async Task OnlyAgentKeys_MayMint(Role role)
    {
        using var rig = new MintingRig();
        var caller = TestFixtures.Agent() with { Role = role };

        var ex = await Assert.ThrowsAsync<BrokerOperationException>(() => rig.MintAsync(caller: caller).AsTask());

        Assert.Equal(BrokerErrorKind.Forbidden, ex.Kind);
    }

    [Fact]
    public async Task MissingIssuer_IsUnavailable()
    {
        using var rig = new MintingRig();
        rig.TokenOptions.Issuer = null;

        var ex = await Assert.ThrowsAsync<BrokerOperationException>(() => rig.MintAsync().AsTask());

        Assert.Equal(BrokerErrorKind.Unavailable, ex.Kind);
    }

    [Fact]
    public void DiscoveryDocument_PointsAtTheJwks()
    {
        var document = OpenIdConfiguration.For("http://127.0.0.1:8080/");
        var json = JsonSerializer.Serialize(document);

        Assert.Contains("\"issuer\":\"http://127.0.0.1:8080\"", json);
        Assert.Contains("\"jwks_uri\":\"http://127.0.0.1:8080/.well-known/jwks.json\"", json);
        Assert.Contains("\"id_token_signing_alg_values_supported\":[\"ES256\"]", json);
    }

    [Fact]
    public void Result_DoesNotPrintTheToken()
    {
        var result = new TokenResult("eyJ.secret.sig", "Bearer", DateTimeOffset.UnixEpoch, "jti-1");

        Assert.DoesNotContain("eyJ", result.ToString());
    }
}
