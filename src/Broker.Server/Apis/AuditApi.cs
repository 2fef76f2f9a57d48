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
        api.MapPost("/value-reads", ValueReadsAsync).RequireRole(Role.Admin)
            .WithSummary("Was this secret value read? Matches by keyed HMAC; the value is neither stored nor logged.");
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

    public static async Task<Ok<AuditVerification>> VerifyAsync(HttpContext http, AuditVerifier verifier, CancellationToken cancellationToken) =>
        TypedResults.Ok(await verifier.VerifyAsync(http.GetCaller().Tenant, cancellationToken));

    public static async Task<Ok<AuditListResponse>> ValueReadsAsync([FromBody] ValueReadsRequest body, HttpContext http, AuditValueHmac hmac, AuditQueries queries, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(body.Value))
        {
            throw new ValidationException("value", "\"value\" is required.");
        }

        var tenant = http.GetCaller().Tenant;
        var items = await queries.FindByValueHmacAsync(tenant, hmac.Compute(tenant, body.Value), AuditQueries.MaxLimit, cancellationToken);
        return TypedResults.Ok(new AuditListResponse(items));
    }
}

public sealed record AuditListResponse(IReadOnlyList<AuditRecord> Items);

public sealed record ValueReadsRequest(string? Value)
{
    public override string ToString() => "ValueReadsRequest { (value hidden) }";
}
