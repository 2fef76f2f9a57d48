using Broker.Audit;
using Broker.Core;
using Broker.Server.Observability;

namespace Broker.Server.Security;

/// <summary>
/// Builds audit entries from the request (actor, request id, client address, user agent) and awaits their
/// durability. A value that must be matchable later is recorded as its keyed HMAC, never itself.
/// </summary>
public sealed class RequestAudit(IAuditLog log, AuditValueHmac valueHmac, BrokerTelemetry telemetry)
{
    public ValueTask RecordAsync(HttpContext context, string action, string target, string outcome = AuditOutcomes.Allowed, string? reason = null)
    {
        var caller = context.Features.Get<Caller>();
        return log.RecordAsync(Entry(context, caller?.Tenant ?? Tenants.Default, caller, action, target, outcome, reason), context.RequestAborted);
    }

    public ValueTask RecordAsync(HttpContext context, string tenant, Caller? caller, string action, string target, string outcome, string? reason) =>
        log.RecordAsync(Entry(context, tenant, caller, action, target, outcome, reason), context.RequestAborted);

    /// <summary>Records reads of secret values in one shared commit, each with the HMAC of the value it served.</summary>
    public ValueTask RecordReadsAsync(HttpContext context, IEnumerable<(string Target, int Version, string Value)> reads)
    {
        var caller = context.GetCaller();
        var entries = reads.Select(r => Entry(context, caller.Tenant, caller, AuditActions.CredentialRead, r.Target, AuditOutcomes.Allowed,
            "v" + r.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), valueHmac.Compute(caller.Tenant, r.Value))).ToArray();
        return entries.Length == 0 ? ValueTask.CompletedTask : log.RecordManyAsync(entries, context.RequestAborted);
    }

    private AuditEntry Entry(HttpContext context, string tenant, Caller? caller, string action, string target, string outcome, string? reason, string? hmac = null)
    {
        Observe(action, outcome, reason);
        var actor = caller is null ? AuditActor.Anonymous : new AuditActor(caller.KeyId, caller.Name, caller.Role.ToWire());
        var userAgent = context.Request.Headers.UserAgent.ToString();
        return new AuditEntry(
            tenant, actor, action, Printable(target, 512)!, outcome, Printable(reason, 256), context.TraceIdentifier,
            context.Connection.RemoteIpAddress?.ToString(),
            userAgent.Length == 0 ? null : Printable(userAgent, 256),
            hmac);
    }

    /// <summary>
    /// Request text (a route value, a query value, a header) as the record keeps it: bounded, and with control
    /// characters and unpaired surrogates written as <c>\uXXXX</c>. PostgreSQL refuses a NUL in text, and one record
    /// it refuses fails its whole group commit, so other callers' requests too.
    /// </summary>
    internal static string? Printable(string? text, int maxLength)
    {
        if (text is null)
        {
            return null;
        }

        if (text.Length > maxLength)
        {
            text = text[..maxLength];
        }

        // The common case (a name, an id) allocates nothing.
        var clean = true;
        foreach (var c in text)
        {
            clean &= !char.IsControl(c) && !char.IsSurrogate(c);
        }

        if (clean)
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogatePair(text, i))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Every audited decision is also a span attribute and a metric (action, outcome, reason: never values).</summary>
    private void Observe(string action, string outcome, string? reason)
    {
        var activity = System.Diagnostics.Activity.Current;
        activity?.SetTag("broker.action", action);
        activity?.SetTag("broker.outcome", outcome);
        telemetry.Decisions.Add(1, new("action", action), new("outcome", outcome));
        if (action == AuditActions.RequestDenied)
        {
            telemetry.Denials.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }
        else if (outcome == AuditOutcomes.Allowed && action is AuditActions.TokenMint or AuditActions.StsMint)
        {
            telemetry.Mints.Add(1, new KeyValuePair<string, object?>("kind", action == AuditActions.TokenMint ? "token" : "sts"));
        }
        else if (outcome == AuditOutcomes.Allowed && action is AuditActions.KeyRevoke or AuditActions.KeyRevokeLeaked)
        {
            telemetry.Revocations.Add(1, new KeyValuePair<string, object?>("action", action));
        }
    }
}
