using System.Globalization;
using Broker.Core;
using Broker.Keys;
using Broker.Server.Observability;

namespace Broker.Server.Security;

/// <summary>
/// Authenticates every route that declares <see cref="RequiredRoles"/>: the key (401, one identical body for
/// missing, unknown, revoked and expired keys), its rate limit (429 with Retry-After), then its role (403).
/// Every refusal is audited as <c>request.denied</c>, except that failed authentications are audited one per client
/// address and window plus a summary with the count (<see cref="AuthenticationFailureTracker"/>). A key the cache
/// does not know as valid, from an address over its failure budget, gets 429 before any store lookup; a key the
/// cache knows as valid is never throttled. Never logs the presented key.
/// </summary>
public sealed class KeyAuthenticationMiddleware(
    RequestDelegate next, KeyAuthenticator authenticator, KeyGate gate, RequestAudit audit, AuthenticationFailureTracker failures, ServerTelemetry telemetry)
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
        PresentedKey key = default;
        long? reservation = null;
        string? client = null;
        KeyCheck check;
        if (presented is null || !PresentedKey.TryCreate(presented, out key))
        {
            check = KeyCheck.Unknown;
        }
        else if (!authenticator.TryCheckCached(key, out check))
        {
            // Only the store can answer. Unless the cache knows the key as valid, that lookup spends the address's
            // failure budget (given back when the key is valid); a spent budget means 429 without a lookup.
            client = AuthenticationFailureTracker.ClientOf(context.Connection.RemoteIpAddress);
            if (!authenticator.IsCachedAsValid(key))
            {
                if (!failures.TryReserveLookup(client, out var reserved, out var retryAfter))
                {
                    await ThrottleAsync(context, retryAfter);
                    return;
                }

                reservation = reserved;
            }

            try
            {
                check = await gate.CheckAsync(key, context.RequestAborted);
            }
            catch when (reservation is { } unused)
            {
                // The store failed, not the client: give the reservation back (the request fails with 503).
                failures.ReleaseLookup(client, unused);
                throw;
            }

            if (check.Status == KeyCheckStatus.Valid && reservation is { } spent)
            {
                failures.ReleaseLookup(client, spent);
            }
        }

        if (check.Status != KeyCheckStatus.Valid)
        {
            await RefuseUnauthenticatedAsync(context, client ?? AuthenticationFailureTracker.ClientOf(context.Connection.RemoteIpAddress), reservation);
            return;
        }

        var record = check.Key!;
        var caller = record.ToCaller();
        var decision = await gate.AdmitAsync(record, countQuota: false, context.RequestAborted);
        if (!decision.IsAllowed)
        {
            await audit.RecordDeniedAsync(context, caller, StatusCodes.Status429TooManyRequests, "rate_limited");
            context.Response.Headers.RetryAfter = RetryAfterSeconds(decision.RetryAfter);
            await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too Many Requests", "This key exceeded its rate limit; retry after the time in Retry-After.");
            return;
        }

        if (!required.IsSatisfiedBy(record.Role))
        {
            await audit.RecordDeniedAsync(context, caller, StatusCodes.Status403Forbidden, "role");
            await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", $"A key with role '{record.Role.ToWire()}' may not call this route.");
            return;
        }

        context.Features.Set(caller);
        context.Features.Set(new AuthenticatedKey(authenticator, key, record));
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

    private async Task RefuseUnauthenticatedAsync(HttpContext context, string client, long? reservation)
    {
        if (failures.CountFailure(client, reservation))
        {
            await audit.RecordDeniedAsync(context, null, StatusCodes.Status401Unauthorized, "unauthenticated");
        }
        else
        {
            // Counted into the address's summary record; the metric still counts every refusal.
            telemetry.Denials.Add(1, new KeyValuePair<string, object?>("reason", "unauthenticated:401"));
        }

        await Problems.WriteUnauthenticatedAsync(context);
    }

    private Task ThrottleAsync(HttpContext context, TimeSpan retryAfter)
    {
        telemetry.Denials.Add(1, new KeyValuePair<string, object?>("reason", "throttled:429"));
        return Problems.WriteAuthenticationThrottledAsync(context, Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)));
    }

    private static string RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
