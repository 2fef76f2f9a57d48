using Broker.Audit;
using Broker.Core;
using Broker.Minting;
using Broker.Minting.Signing;
using Broker.Minting.Sts;
using Broker.Minting.Tokens;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>Just-in-time credentials: task-scoped ES256 tokens, STS session credentials, and the keys that verify tokens.</summary>
public static class TokensApi
{
    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/tokens", MintTokenAsync).WithTags("Just in time").RequireRole(Role.Agent).WithMetadata(new AuditedRoute(AuditActions.TokenMint))
            .WithSummary("Mint a short-lived ES256 JWT for one audience and task (ttlSeconds 5..3600, default 60).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapPost("/v1/sts", MintStsAsync).WithTags("Just in time").RequireRole(Role.Agent).WithMetadata(new AuditedRoute(AuditActions.StsMint))
            .WithSummary("AWS STS session credentials for one task, narrowed by a session policy, from a stored aws credential.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapPost("/v1/signing-keys/rotate", RotateSigningKeyAsync).WithTags("Just in time").RequireRole(Role.Admin)
            .WithSummary("Rotate the token signing key now (bootstrap admin key only); the previous public key stays in JWKS until its tokens have expired.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapPost("/v1/signing-keys/{kid}/retire", RetireSigningKeyAsync).WithTags("Just in time").RequireRole(Role.Admin)
            .WithSummary("Retire a compromised signing key at once (bootstrap admin key only): it leaves JWKS now and is never trusted again; a current key is replaced first.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/.well-known/jwks.json", JwksAsync).WithTags("Just in time").WithSummary("The public keys that verify every unexpired token.");
        app.MapGet("/.well-known/openid-configuration", Discovery).WithTags("Just in time").WithSummary("Discovery: issuer and jwks_uri.");
        app.MapGet("/tenants/{tenant}/.well-known/openid-configuration", TenantDiscovery).WithTags("Just in time")
            .WithSummary("Discovery of one tenant's issuer (<issuer>/tenants/<tenant>): its tokens carry that iss.").ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapGet("/tenants/{tenant}/.well-known/jwks.json", TenantJwksAsync).WithTags("Just in time")
            .WithSummary("The public keys that verify a tenant's tokens (the broker's keys; the issuer tells tenants apart).").ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public static Task<Results<Ok<TokenResponse>, Accepted<ApprovalPendingResponse>>> MintTokenAsync(
        [FromBody] MintTokenRequest body, [FromHeader(Name = ApprovalPendingResponse.ApprovalHeader)] string? approval, HttpContext http, JitMinting minting,
        CancellationToken cancellationToken) =>
        ApprovalPendingResponse.OkOrHeldAsync(http, () => minting.MintTokenAsync(http.GetAuditContext(), body, http.GetUserProof(), approval, cancellationToken),
            token => new TokenResponse(token.Token, token.TokenType, token.ExpiresAt, token.Jti));

    public static Task<Results<Ok<StsResponse>, Accepted<ApprovalPendingResponse>>> MintStsAsync(
        [FromBody] StsRequest body, [FromHeader(Name = ApprovalPendingResponse.ApprovalHeader)] string? approval, HttpContext http, JitMinting minting,
        CancellationToken cancellationToken) =>
        ApprovalPendingResponse.OkOrHeldAsync(http, () => minting.MintStsAsync(http.GetAuditContext(), body, http.GetUserProof(), approval, cancellationToken),
            result => new StsResponse(result.AccessKeyId, result.SecretAccessKey, result.SessionToken, result.Expiration, result.AssumedRoleArn));

    public static async Task<Ok<SigningKeyRotatedResponse>> RotateSigningKeyAsync(HttpContext http, SigningKeyAdmin keys, CancellationToken cancellationToken)
    {
        var snapshot = await keys.RotateAsync(http.GetAuditContext(), cancellationToken);
        return TypedResults.Ok(new SigningKeyRotatedResponse(snapshot.Current.Kid));
    }

    public static async Task<Ok<SigningKeyRetiredResponse>> RetireSigningKeyAsync(string kid, HttpContext http, SigningKeyAdmin keys, CancellationToken cancellationToken)
    {
        var snapshot = await keys.RetireAsync(http.GetAuditContext(), kid, cancellationToken);
        return TypedResults.Ok(new SigningKeyRetiredResponse(kid, "retired", snapshot.Current.Kid));
    }

    public static async Task<IResult> JwksAsync(JwksProvider jwks, HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "public, max-age=60";
        return Results.Text(await jwks.GetJwksAsync(cancellationToken), "application/json");
    }

    public static Ok<OpenIdConfiguration> Discovery(JwksProvider jwks) => TypedResults.Ok(jwks.GetDiscoveryDocument());

    public static Ok<OpenIdConfiguration> TenantDiscovery(string tenant, JwksProvider jwks) => TypedResults.Ok(jwks.GetDiscoveryDocument(tenant));

    public static Task<IResult> TenantJwksAsync(string tenant, JwksProvider jwks, HttpContext http, CancellationToken cancellationToken)
    {
        if (!Names.IsValidTenant(tenant))
        {
            throw new ValidationException("tenant", "A tenant is 1 to 64 characters of [a-z0-9_.-], starting with a letter or digit.");
        }

        return JwksAsync(jwks, http, cancellationToken);
    }
}

public sealed record TokenResponse(string Token, string TokenType, DateTimeOffset ExpiresAt, string Jti)
{
    public override string ToString() => $"TokenResponse {{ Jti = {Jti} }}";
}

public sealed record StsResponse(string AccessKeyId, string SecretAccessKey, string SessionToken, DateTimeOffset Expiration, string AssumedRoleArn)
{
    public override string ToString() => $"StsResponse {{ AssumedRoleArn = {AssumedRoleArn} }}";
}

public sealed record SigningKeyRotatedResponse(string Kid);

/// <summary>The retired key, its state, and the key that signs now.</summary>
public sealed record SigningKeyRetiredResponse(string Kid, string Status, string Current);
