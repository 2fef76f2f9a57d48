using Broker.Audit;
using Broker.Core;
using Broker.Keys;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>Agents verify the inbound keys of their own callers.</summary>
public static class InboundApi
{
    public static IEndpointRouteBuilder MapInboundApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/inbound/verify", VerifyAsync).WithTags("Inbound keys").RequireRole(Role.Agent)
            .WithSummary("Verify a caller's key for this agent (agent absent: this key's name; another name needs the verifyAs grant); a valid answer counts as one use of that key.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Ok<VerifyResponse>> VerifyAsync([FromBody] VerifyRequest body, HttpContext http, KeyAdmin keys, CancellationToken cancellationToken)
    {
        var result = await keys.VerifyInboundAsync(http.GetAuditContext(), body.Key, body.Agent, cancellationToken);
        if (result.RetryAfter > TimeSpan.Zero)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(result.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var known = result.Reason is null or InboundVerification.Forbidden or InboundVerification.RateLimited or InboundVerification.QuotaExceeded or InboundVerification.Revoked or InboundVerification.Expired;
        return TypedResults.Ok(new VerifyResponse(
            result.Valid, result.Reason, known ? result.Key?.Id : null, known ? result.Key?.Name : null, known ? result.Key?.Tenant : null));
    }
}

public sealed record VerifyRequest(string? Key, string? Agent);

public sealed record VerifyResponse(bool Valid, string? Reason, string? KeyId, string? Name, string? Tenant);
