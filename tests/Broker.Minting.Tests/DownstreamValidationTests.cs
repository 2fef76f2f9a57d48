using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using Broker.Minting.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Minting.Tests;

/// <summary>
/// A resource server that knows the broker only through discovery and JWKS, validating with Microsoft.IdentityModel.
/// Validation runs on the wall clock; minting times are set on the rig's fake clock relative to it.
/// </summary>
public sealed class DownstreamValidationTests : IAsyncLifetime
{
    private const string Audience = "https://api.example";
    private MintingRig _rig = null!;
    private TestWebServer _server = null!;

    public async Task InitializeAsync()
    {
        _rig = new MintingRig(DateTimeOffset.UtcNow);
        _server = await TestWebServer.StartAsync(app =>
        {
            app.MapGet(OpenIdConfiguration.Path, () => Results.Json(_rig.Jwks.GetDiscoveryDocument()));
            app.MapGet(OpenIdConfiguration.JwksPath, async () => Results.Text(await _rig.Jwks.GetJwksAsync(), "application/json"));
        });
        _rig.TokenOptions.Issuer = _server.BaseAddress;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _rig.Dispose();
    }

    [Fact]
    public async Task FreshToken_IsAccepted_WithItsClaims()
    {
        var minted = await _rig.MintAsync(onBehalfOf: "alice@example.com");

        var result = await ValidateAsync(minted.Token);

        Assert.True(result.IsValid, result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.Equal("alice@example.com", token.Subject);
        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal("ES256", token.Alg);
        Assert.Equal(minted.Jti, token.Id);
    }

    [Fact]
    public async Task ExpiredToken_IsRejected()
    {
        UseRigStartingAt(DateTimeOffset.UtcNow.AddHours(-2));
        var minted = await _rig.MintAsync(ttl: 60);

        var result = await ValidateAsync(minted.Token);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenExpiredException>(result.Exception);
    }

    [Fact]
    public async Task WrongAudience_IsRejected()
    {
        var minted = await _rig.MintAsync(audience: "https://other.example");

        var result = await ValidateAsync(minted.Token);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidAudienceException>(result.Exception);
    }

    [Fact]
    public async Task TamperedPayload_IsRejected()
    {
        var minted = await _rig.MintAsync();
        var parts = minted.Token.Split('.');
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        payload["scope"] = "read write admin";
        var tampered = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[2];

        var result = await ValidateAsync(tampered);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    [Fact]
    public async Task AlgNone_IsRejected()
    {
        var minted = await _rig.MintAsync();
        var parts = minted.Token.Split('.');
        var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject();
        header["alg"] = "none";
        var unsigned = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + parts[1] + ".";

        var result = await ValidateAsync(unsigned);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    [Fact]
    public async Task Hs256KeyedWithThePublicKey_IsRejected()
    {
        var minted = await _rig.MintAsync();
        var jwks = JsonNode.Parse(await _rig.Jwks.GetJwksAsync())!["keys"]![0]!;
        var kid = (string)jwks["kid"]!;
        var publicKeyBytes = Encoding.UTF8.GetBytes(jwks.ToJsonString());
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(minted.Token.Split('.')[1]));
        var forged = new JsonWebTokenHandler().CreateToken(payload, new SigningCredentials(
            new SymmetricSecurityKey(publicKeyBytes) { KeyId = kid }, SecurityAlgorithms.HmacSha256));

        var result = await ValidateAsync(forged);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    [Fact]
    public async Task AfterRotation_PreviousKeysTokensStayValid_UntilExpiry_ThenItsKeyLeavesJwks()
    {
        // The whole timeline is shifted 30 minutes into the past so tokens signed before the rotation are still live
        // on the wall clock the validator uses.
        UseRigStartingAt(DateTimeOffset.UtcNow.AddMinutes(-30));
        var before = await _rig.MintAsync(ttl: 3600);
        var oldKid = (await _rig.Keys.GetSnapshotAsync()).Current.Kid;

        var rotated = await _rig.Keys.RotateAsync();
        var after = await _rig.MintAsync(ttl: 3600);

        Assert.NotEqual(oldKid, rotated.Current.Kid);
        Assert.True((await ValidateAsync(before.Token)).IsValid);
        Assert.True((await ValidateAsync(after.Token)).IsValid);
        Assert.Contains(oldKid, await _rig.Jwks.GetJwksAsync());

        // Past every token of the old key (1 h) plus the retirement margin: the old key is no longer published.
        _rig.Time.Advance(SigningKeyManagerTimeline.RetiredKeyLifetime + TimeSpan.FromSeconds(1));
        var jwks = await _rig.Jwks.GetJwksAsync();
        Assert.DoesNotContain(oldKid, jwks);
        Assert.Contains(rotated.Current.Kid, jwks);

        // A validator that fetches the JWKS now cannot verify the old key's (still wall-clock-live) token.
        var late = await ValidateAsync(before.Token);
        Assert.False(late.IsValid);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(late.Exception);
    }

    [Fact]
    public async Task AfterRetiringAKeyAtOnce_ItsLiveTokensAreRejected_AndNewTokensAccepted()
    {
        var compromised = await _rig.MintAsync(ttl: 3600);
        Assert.True((await ValidateAsync(compromised.Token)).IsValid);
        var kid = (await _rig.Keys.GetSnapshotAsync()).Current.Kid;

        var after = await _rig.Keys.RetireNowAsync(kid);

        var rejected = await ValidateAsync(compromised.Token);
        Assert.False(rejected.IsValid);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(rejected.Exception);
        Assert.NotEqual(kid, after!.Current.Kid);
        Assert.True((await ValidateAsync((await _rig.MintAsync()).Token)).IsValid);
    }

    /// <summary>FakeTimeProvider never goes back, so a test that mints in the past gets a rig that starts there.</summary>
    private void UseRigStartingAt(DateTimeOffset start)
    {
        _rig.Dispose();
        _rig = new MintingRig(start, issuer: _server.BaseAddress);
    }

    private async Task<TokenValidationResult> ValidateAsync(string token)
    {
        // A fresh manager per validation, as a fresh validator process would have: no cached JWKS.
        var configuration = new ConfigurationManager<OpenIdConnectConfiguration>(
            _server.BaseAddress + OpenIdConfiguration.Path,
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever { RequireHttps = false });
        return await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ConfigurationManager = configuration,
            ValidIssuer = _server.BaseAddress,
            ValidAudience = Audience,
            ClockSkew = TimeSpan.Zero,
        });
    }
}

internal static class SigningKeyManagerTimeline
{
    /// <summary>How long a retired key stays published with <see cref="TestFixtures.Options"/>: max TTL + margin.</summary>
    public static readonly TimeSpan RetiredKeyLifetime = TimeSpan.FromSeconds(3600) + TimeSpan.FromMinutes(10);
}
