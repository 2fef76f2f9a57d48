using System.Globalization;
using Broker.Audit;
using Broker.Core;
using Broker.Keys;

namespace Broker.Server.Security;

/// <summary>
/// Authenticates every route that declares <see cref="RequiredRoles"/>: the key (401, one identical body for
/// missing, unknown, revoked and expired keys), its rate limit (429 with Retry-After), then its role (403).
/// Every refusal is audited as <c>request.denied</c>. Never logs the presented key.
/// </summary>
public sealed class KeyAuthenticationMiddleware(RequestDelegate next, KeyAuthenticator authenticator, IUsageLimiter limiter, UsageTracker usage, RequestAudit audit, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var required = context.GetEndpoint()?.Metadata.GetMetadata<RequiredRoles>();
        if (required is null)
        {
            await next(context);
            return;
        }

        var presented = ReadPresentedKey(context.Request);
        var check = presented is null ? KeyCheck.Unknown : await authenticator.CheckAsync(presented, context.RequestAborted);
        if (check.Status != KeyCheckStatus.Valid)
        {
            await DenyAsync(context, null, StatusCodes.Status401Unauthorized, "unauthenticated");
            await Problems.WriteUnauthenticatedAsync(context);
            return;
        }

        var key = check.Key!;
        var caller = key.ToCaller();
        var decision = await limiter.TryAcquireAsync(key.Id, key.RateLimitPerMinute, null, context.RequestAborted);
        if (!decision.IsAllowed)
        {
            await DenyAsync(context, caller, StatusCodes.Status429TooManyRequests, "rate_limited");
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too Many Requests", "This key exceeded its rate limit; retry after the time in Retry-After.");
            return;
        }

        usage.Record(key.Id, time.GetUtcNow());
        if (!required.IsSatisfiedBy(key.Role))
        {
            await DenyAsync(context, caller, StatusCodes.Status403Forbidden, "role");
            await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", $"A key with role '{key.Role.ToWire()}' may not call this route.");
            return;
        }

        context.Features.Set(caller);
        await next(context);
    }

    /// <summary>Reads <c>Authorization: Bearer &lt;key&gt;</c>; anything else is no key.</summary>
    public static string? ReadPresentedKey(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1)
        {
            return null;
        }

        var value = header[0];
        const string scheme = "Bearer ";
        if (value is null || value.Length <= scheme.Length || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return value[scheme.Length..].Trim();
    }

    private async Task DenyAsync(HttpContext context, Caller? caller, int status, string reason)
    {
        try
        {
            var target = context.Request.Method + " " + context.Request.Path.Value;
            await audit.RecordAsync(context, caller?.Tenant ?? Tenants.Default, caller, AuditActions.RequestDenied, target.Length > 512 ? target[..512] : target, AuditOutcomes.Denied, reason + ":" + status.ToString(CultureInfo.InvariantCulture));
        }
        catch (AuditUnavailableException)
        {
            // The request is refused either way; a refusal that could not be recorded is still a refusal.
        }
    }
}
