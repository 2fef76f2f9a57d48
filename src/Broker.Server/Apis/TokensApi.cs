using Broker.Audit;
using Broker.Core;
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
        return app;
    }

    public static async Task<Ok<TokenResponse>> MintTokenAsync([FromBody] MintTokenRequest body, HttpContext http, TokenMinter minter, RequestAudit audit, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var target = string.IsNullOrEmpty(body.Audience) || body.Audience.Length > 256 ? "(invalid)" : body.Audience;
        TokenResult token;
        try
        {
            token = await minter.MintAsync(caller, body, cancellationToken);
        }
        catch (BrokerOperationException ex)
        {
            await audit.RecordAsync(http, AuditActions.TokenMint, target, AuditReason.OutcomeFor(ex.Kind), MintReason(AuditReason.For(ex), caller, body, ex).ToString());
            throw;
        }

        // Fail closed: the token leaves only once its mint is durable in the audit trail.
        await audit.RecordAsync(http, AuditActions.TokenMint, target, AuditOutcomes.Allowed, MintReason(new AuditReason().Add("jti", token.Jti), caller, body, null).ToString());
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new TokenResponse(token.Token, token.TokenType, token.ExpiresAt, token.Jti));
    }

    public static async Task<Ok<StsResponse>> MintStsAsync([FromBody] StsRequest body, HttpContext http, StsMinter minter, RequestAudit audit, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var target = body.Credential is { Length: > 0 and <= 128 } c && Names.IsValidCredentialName(c) ? c : "(invalid)";
        StsResult result;
        try
        {
            result = await minter.MintAsync(caller, body, cancellationToken);
        }
        catch (BrokerOperationException ex)
        {
            await audit.RecordAsync(http, AuditActions.StsMint, target, AuditReason.OutcomeFor(ex.Kind), StsReason(AuditReason.For(ex), body, ex, null).ToString());
            throw;
        }

        await audit.RecordAsync(http, AuditActions.StsMint, target, AuditOutcomes.Allowed, StsReason(new AuditReason(), body, null, result).ToString());
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new StsResponse(result.AccessKeyId, result.SecretAccessKey, result.SessionToken, result.Expiration, result.AssumedRoleArn));
    }

    public static async Task<Ok<SigningKeyRotatedResponse>> RotateSigningKeyAsync(HttpContext http, SigningKeyManager keys, RequestAudit audit, CancellationToken cancellationToken)
    {
        await DemandBootstrapAsync(http, audit, AuditActions.SigningKeyRotate, "signing-keys");
        var snapshot = await keys.RotateAsync(cancellationToken);
        await audit.RecordAsync(http, AuditActions.SigningKeyRotate, snapshot.Current.Kid);
        return TypedResults.Ok(new SigningKeyRotatedResponse(snapshot.Current.Kid));
    }

    public static async Task<Results<Ok<SigningKeyRetiredResponse>, ProblemHttpResult>> RetireSigningKeyAsync(
        string kid, HttpContext http, SigningKeyManager keys, RequestAudit audit, CancellationToken cancellationToken)
    {
        var target = kid.Length > 128 ? kid[..128] : kid;
        await DemandBootstrapAsync(http, audit, AuditActions.SigningKeyRetire, target);

        // Like a key revoke, applied even when the audit trail is down (refusing would keep a compromised key trusted);
        // the answer is then 503 and the retirement stands.
        var snapshot = await keys.RetireNowAsync(kid, cancellationToken);
        if (snapshot is null)
        {
            await audit.RecordAsync(http, AuditActions.SigningKeyRetire, target, AuditOutcomes.Denied, "unknown_kid");
            return TypedResults.Problem("No signing key with that kid.", statusCode: StatusCodes.Status404NotFound, title: "Not Found", type: Problems.TypeFor(404));
        }

        await audit.RecordAsync(http, AuditActions.SigningKeyRetire, target, AuditOutcomes.Allowed, "current=" + snapshot.Current.Kid);
        return TypedResults.Ok(new SigningKeyRetiredResponse(kid, "retired", snapshot.Current.Kid));
    }

    /// <summary>Signing keys sign for every tenant: only the bootstrap admin key manages them. A refusal is audited.</summary>
    private static async Task DemandBootstrapAsync(HttpContext http, RequestAudit audit, string action, string target)
    {
        try
        {
            BootstrapRule.Demand(http.GetCaller(), BootstrapRule.ManageSigningKeys);
        }
        catch (BrokerOperationException)
        {
            await audit.RecordAsync(http, action, target, AuditOutcomes.Denied, BootstrapRule.Reason);
            throw;
        }
    }

    public static async Task<IResult> JwksAsync(JwksProvider jwks, HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "public, max-age=60";
        return Results.Text(await jwks.GetJwksAsync(cancellationToken), "application/json");
    }

    public static Ok<OpenIdConfiguration> Discovery(JwksProvider jwks) => TypedResults.Ok(jwks.GetDiscoveryDocument());

    /// <summary>
    /// What a token mint asked for or got: <c>sub</c> (the token's subject: the user with <c>onBehalfOf</c>, else the
    /// agent key's name), <c>onBehalfOf</c>, <c>scopes</c>, <c>ttl</c> in seconds. A field the request got wrong is left
    /// out (its name is in <c>fields</c>), except the number <c>ttl</c>.
    /// </summary>
    private static AuditReason MintReason(AuditReason reason, Caller caller, MintTokenRequest body, BrokerOperationException? refused)
    {
        var invalid = (refused as ValidationException)?.Errors;
        if (invalid?.ContainsKey("onBehalfOf") != true)
        {
            reason.Add("sub", body.OnBehalfOf ?? caller.Name).Add("onBehalfOf", body.OnBehalfOf);
        }

        if (invalid?.ContainsKey("scopes") != true)
        {
            reason.AddList("scopes", (body.Scopes ?? []).Distinct(StringComparer.Ordinal));
        }

        return reason.Add("ttl", body.TtlSeconds ?? TokenLimits.DefaultTtlSeconds);
    }

    /// <summary>
    /// What an STS mint asked for or got: the <c>role</c> asked for (absent: the credential's own), the
    /// <c>assumedRole</c> STS returned, <c>duration</c> in seconds, <c>onBehalfOf</c>, and whether a session
    /// <c>policy</c> was given (yes/no: never its content, which belongs to the caller's request, not to the trail).
    /// Never any key material.
    /// </summary>
    private static AuditReason StsReason(AuditReason reason, StsRequest body, BrokerOperationException? refused, StsResult? minted)
    {
        var invalid = (refused as ValidationException)?.Errors;
        if (invalid?.ContainsKey("roleArn") != true)
        {
            reason.Add("role", body.RoleArn);
        }

        reason.Add("assumedRole", minted?.AssumedRoleArn).Add("duration", body.DurationSeconds ?? StsLimits.DefaultDurationSeconds);
        if (invalid?.ContainsKey("onBehalfOf") != true)
        {
            reason.Add("onBehalfOf", body.OnBehalfOf);
        }

        return reason.Add("policy", body.Policy is { ValueKind: not (System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined) });
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
