using System.Globalization;
using Broker.Audit;
using Broker.Core;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>The tamper-evident audit trail: query, verify the chain, and ask whether a value was ever read.</summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/audit").WithTags("Audit")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapGet("/", ListAsync).RequireRole(Role.Responder).WithSummary("The tenant's audit records, oldest first (since, action, limit ≤ 1000).");
        api.MapGet("/verify", VerifyAsync).RequireRole(Role.Admin).WithSummary("Check the tenant's hash chain: {valid, count, brokenAt?}.");
        api.MapPost("/value-reads", ValueReadsAsync).RequireRole(Role.Admin).WithMetadata(new AuditedRoute(AuditActions.AuditValueReads, static (_, _) => "value"))
            .WithSummary("Was this secret value read? Matches by keyed HMAC; the value is neither stored nor logged. Audited, and rate-limited per key.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Ok<AuditListResponse>> ListAsync(
        [FromQuery] string? since, [FromQuery] string? action, [FromQuery] int? limit, HttpContext http, AuditQueries queries, CancellationToken cancellationToken)
    {
        DateTimeOffset? sinceTime = null;
        if (!string.IsNullOrEmpty(since))
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                throw new ValidationException("since", "\"since\" must be an RFC 3339 time, e.g. 2026-11-23T10:00:00Z.");
            }

            sinceTime = parsed.ToUniversalTime();
        }

        if (!string.IsNullOrEmpty(action) && (action.Length > 64 || !Names.IsValidKeyName(action)))
        {
            throw new ValidationException("action", "\"action\" is one of the audit actions.");
        }

        var items = await queries.ListAsync(http.GetCaller().Tenant, sinceTime, action, limit, cancellationToken);
        return TypedResults.Ok(new AuditListResponse(items));
    }

    /// <summary>The chain and the broker's own latest checkpoints (file and database); audited like <c>POST /v1/audit/verify</c>.</summary>
    public static async Task<Ok<AuditVerification>> VerifyAsync(HttpContext http, AuditChecks checks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await checks.VerifyKnownAsync(http.GetAuditContext(), cancellationToken));

    public static async Task<Results<Ok<AuditListResponse>, ProblemHttpResult>> ValueReadsAsync(
        [FromBody] ValueReadsRequest body, HttpContext http, ValueReads reads, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(new AuditListResponse(await reads.FindAsync(http.GetAuditContext(), body.Value, cancellationToken)));
        }
        catch (ValueReadsRefusedException refused)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(refused.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(refused.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests", type: Problems.TypeFor(429));
        }
    }
}

public sealed record AuditListResponse(IReadOnlyList<AuditRecord> Items);

public sealed record ValueReadsRequest(string? Value)
{
    public override string ToString() => "ValueReadsRequest { (value hidden) }";
}
