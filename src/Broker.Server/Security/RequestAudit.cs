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

    /// <summary>
    /// Records a refused request as <c>request.denied</c> with reason <c>why:status</c>. Never throws for an
    /// unavailable audit: the request is refused either way, and a refusal that could not be recorded is still one.
    /// </summary>
    public async ValueTask RecordDeniedAsync(HttpContext context, Caller? caller, int status, string why)
    {
        try
        {
            var target = context.Request.Method + " " + context.Request.Path.Value;
            await RecordAsync(context, caller?.Tenant ?? Tenants.Default, caller, AuditActions.RequestDenied, target.Length > 512 ? target[..512] : target,
                AuditOutcomes.Denied, why + ":" + status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (AuditUnavailableException)
        {
        }
    }

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
            tenant, actor, action, target, outcome, reason, context.TraceIdentifier,
            context.Connection.RemoteIpAddress?.ToString(),
            userAgent.Length > 256 ? userAgent[..256] : userAgent.Length == 0 ? null : userAgent,
            hmac);
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
