using Broker.Audit;
using Broker.Core;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>
/// Audit you can prove: the signed chain head, the audit keys that verify it, and verification of the chain against
/// checkpoints a client kept. <c>GET /v1/audit/verify</c> (in <see cref="AuditApi"/>) checks the broker's own checkpoints.
/// </summary>
public static class AuditProofApi
{
    public const string JwksPath = "/.well-known/audit-keys.json";

    public static IEndpointRouteBuilder MapAuditProofApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/audit").WithTags("Audit")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/head", HeadAsync).RequireRole(Role.Responder)
            .WithSummary("The tenant's chain head signed by the broker's audit key: {tenant, id, hash, time, kid, signature} (compact JWS, ES256).");
        api.MapPost("/verify", VerifyAsync).RequireRole(Role.Admin)
            .WithMetadata(new AuditedRoute(AuditActions.AuditVerify, static (_, _) => AuditChecks.CheckpointsTarget))
            .WithSummary("Check the tenant's chain against checkpoints kept elsewhere: {valid, count, brokenAt?}; detects a cut tail or a rewritten chain. Audited.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapGet(JwksPath, JwksAsync).WithTags("Audit").WithSummary("The audit public keys (JWKS) that verify checkpoints, retired ones included.");
        return app;
    }

    public static async Task<Ok<AuditCheckpoint>> HeadAsync(HttpContext http, AuditProof proof, CancellationToken cancellationToken)
    {
        var head = await proof.SignHeadAsync(http.GetCaller().Tenant, cancellationToken);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(head);
    }

    /// <summary>Verifies, then records the question and its answer (fail closed: the answer leaves once its record is durable).</summary>
    public static async Task<Ok<AuditVerification>> VerifyAsync([FromBody] AuditVerifyRequest body, HttpContext http, AuditChecks checks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await checks.VerifyAsync(http.GetAuditContext(), body.Checkpoints, cancellationToken));

    public static async Task<IResult> JwksAsync(AuditProof proof, HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "public, max-age=60";
        return Results.Text(await proof.GetJwksAsync(cancellationToken), "application/json");
    }

    /// <summary>The outcome of a verification as an audit reason: <c>valid=yes|no count=N [checkpoints=M] [brokenAt=K] [problem=…]</c>.</summary>
}

public sealed record AuditVerifyRequest(IReadOnlyList<AuditCheckpoint>? Checkpoints);
