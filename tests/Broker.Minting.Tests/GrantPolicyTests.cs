using Broker.Core;
using Broker.Core.Grants;
using Broker.Minting.Sts;
using Broker.Minting.Tokens;

namespace Broker.Minting.Tests;

/// <summary>Deny by default: what an agent key mints is what the admin granted, not what the agent asks for.</summary>
public sealed class GrantPolicyTests
{
    private static Caller Agent(AgentGrants? grants, string tenant = "default") =>
        new("key-g", "agent-g", Role.Agent, tenant, false, ["aws-*"], [], Grants: grants);

    private static readonly AgentGrants Narrow = new(
        new TokenGrant(["https://api.example/*"], ["read:*"], 300), new StsGrant(["arn:aws:iam::123456789012:role/reader-*"], 1800));

    [Fact]
    public async Task Token_WithoutATokensGrant_IsRefused_ByTheTokenGrantRule()
    {
        using var rig = new MintingRig(DateTimeOffset.UtcNow);

        var refused = await Assert.ThrowsAsync<GrantRefusedException>(async () => await rig.Minter.MintAsync(Agent(AgentGrants.None), new MintTokenRequest("https://api.example/x", "t")));

        Assert.Equal(GrantRules.TokenGrant, refused.Rule);
        Assert.StartsWith("Rule token_grant:", refused.Message);
    }

    [Theory]
    [InlineData("https://other.example/x", null, 60, GrantRules.TokenAudience)]
    [InlineData("https://api.example/x", "write:all", 60, GrantRules.TokenScope)]
    [InlineData("https://api.example/x", "read:a", 301, GrantRules.TokenTtl)]
    public async Task Token_OutsideTheGrant_IsRefused_ByTheRuleItBreaks(string audience, string? scope, int ttl, string rule)
    {
        using var rig = new MintingRig(DateTimeOffset.UtcNow);

        var refused = await Assert.ThrowsAsync<GrantRefusedException>(async () =>
            await rig.Minter.MintAsync(Agent(Narrow), new MintTokenRequest(audience, "t", scope is null ? null : [scope], ttl)));

        Assert.Equal(rule, refused.Rule);
    }

    [Fact]
    public async Task Token_InsideTheGrant_IsMinted()
    {
        using var rig = new MintingRig(DateTimeOffset.UtcNow);

        var token = await rig.Minter.MintAsync(Agent(Narrow), new MintTokenRequest("https://api.example/x", "t", ["read:a"], 300));

        Assert.False(string.IsNullOrEmpty(token.Token));
    }

    [Fact]
    public async Task Token_OnBehalfOfAUser_WithoutProofOrTheAnyGrant_IsRefused()
    {
        using var rig = new MintingRig(DateTimeOffset.UtcNow);

        var refused = await Assert.ThrowsAsync<GrantRefusedException>(async () =>
            await rig.Minter.MintAsync(Agent(Narrow), new MintTokenRequest("https://api.example/x", "t", OnBehalfOf: "bob")));

        Assert.Equal(GrantRules.SubjectUnproven, refused.Rule);
    }

    [Fact]
    public async Task Token_WithAScopeNamedForApproval_IsRefused_FailClosed()
    {
        using var rig = new MintingRig(DateTimeOffset.UtcNow);
        var grants = Narrow with { Approval = new ApprovalGrant(Scopes: ["read:payments"]) };

        var refused = await Assert.ThrowsAsync<GrantRefusedException>(async () =>
            await rig.Minter.MintAsync(Agent(grants), new MintTokenRequest("https://api.example/x", "t", ["read:payments"])));

        Assert.Equal(GrantRules.ApprovalRequired, refused.Rule);
    }

    [Theory]
    [InlineData("arn:aws:iam::123456789012:role/admin", 900, GrantRules.StsRole)]
    [InlineData(null, 3600, GrantRules.StsDuration)]
    public void Sts_OutsideTheGrant_IsRefused(string? role, int duration, string rule)
    {
        var refused = Assert.Throws<GrantRefusedException>(() => GrantPolicy.DemandSts(Agent(Narrow), "aws-prod", role, duration));

        Assert.Equal(rule, refused.Rule);
    }

    [Fact]
    public void Sts_WithoutAnStsGrant_AllowsTheCredentialsOwnRoleForAnHour_AndNoOtherRole()
    {
        GrantPolicy.DemandSts(Agent(AgentGrants.None), "aws-prod", null, StsGrant.DefaultMaxDurationSeconds);

        Assert.Equal(GrantRules.StsDuration, Assert.Throws<GrantRefusedException>(() => GrantPolicy.DemandSts(Agent(AgentGrants.None), "aws-prod", null, 3601)).Rule);
        Assert.Equal(GrantRules.StsRole, Assert.Throws<GrantRefusedException>(() =>
            GrantPolicy.DemandSts(Agent(AgentGrants.None), "aws-prod", "arn:aws:iam::123456789012:role/reader-1", 900)).Rule);
    }

    [Fact]
    public async Task Token_OfATenant_CarriesThatTenantsIssuer()
    {
        using var rig = new MintingRig(DateTimeOffset.UtcNow);

        var token = await rig.Minter.MintAsync(Agent(Narrow, "acme"), new MintTokenRequest("https://api.example/x", "t"));

        Assert.Equal("https://broker.test/tenants/acme", new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token.Token).Issuer);
    }

    [Fact]
    public async Task TenantIsolation_ATokenOfTenantA_FailsValidationAgainstTenantBsIssuer()
    {
        using var rig = new MintingRig(DateTimeOffset.UtcNow);
        var token = await rig.Minter.MintAsync(Agent(Narrow, "tenant-a"), new MintTokenRequest("https://api.example/x", "t"));
        var keys = new Microsoft.IdentityModel.Tokens.JsonWebKeySet((await rig.Keys.GetSnapshotAsync()).JwksJson).GetSigningKeys();
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler();

        Microsoft.IdentityModel.Tokens.TokenValidationParameters For(string tenant) => new()
        {
            ValidIssuer = "https://broker.test/tenants/" + tenant, ValidAudience = "https://api.example/x", IssuerSigningKeys = keys,
            ValidTypes = ["at+jwt"], ClockSkew = TimeSpan.Zero,
        };

        Assert.True((await handler.ValidateTokenAsync(token.Token, For("tenant-a"))).IsValid);
        var atB = await handler.ValidateTokenAsync(token.Token, For("tenant-b"));
        Assert.False(atB.IsValid);
        Assert.IsType<Microsoft.IdentityModel.Tokens.SecurityTokenInvalidIssuerException>(atB.Exception);
    }

    [Fact]
    public async Task EmptyGrantLists_AllowNothing_AndTheExactMaximumIsAllowed()
    {
        using var rig = new MintingRig(DateTimeOffset.UtcNow);
        var empty = new AgentGrants(new TokenGrant([], [], 300));
        var exact = new AgentGrants(new TokenGrant(["https://api.example/x"], ["read"], 300));

        Assert.Equal(GrantRules.TokenAudience, (await Assert.ThrowsAsync<GrantRefusedException>(async () =>
            await rig.Minter.MintAsync(Agent(empty), new MintTokenRequest("https://api.example/x", "t")))).Rule);
        Assert.Equal(GrantRules.TokenScope, (await Assert.ThrowsAsync<GrantRefusedException>(async () =>
            await rig.Minter.MintAsync(Agent(exact), new MintTokenRequest("https://api.example/x", "t", ["read2"])))).Rule);
        Assert.Equal(GrantRules.TokenAudience, (await Assert.ThrowsAsync<GrantRefusedException>(async () =>
            await rig.Minter.MintAsync(Agent(exact), new MintTokenRequest("https://api.example/x/y", "t")))).Rule);
        var minted = await rig.Minter.MintAsync(Agent(exact), new MintTokenRequest("https://api.example/x", "t", ["read"], 300));
        Assert.Equal(300, (minted.ExpiresAt - new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(minted.Token).IssuedAt).TotalSeconds);
    }
}
