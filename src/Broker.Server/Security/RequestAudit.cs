using Broker.Audit;
using Broker.Core;

namespace Broker.Server.Security;

/// <summary>
/// Builds audit entries from the request (actor, request id, client address, user agent) and awaits their
/// durability. A value that must be matchable later is recorded as its keyed HMAC, never itself.
/// </summary>
public sealed class RequestAudit(IAuditLog log, AuditValueHmac valueHmac)
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

    private static AuditEntry Entry(HttpContext context, string tenant, Caller? caller, string action, string target, string outcome, string? reason, string? hmac = null)
    {
        var actor = caller is null ? AuditActor.Anonymous : new AuditActor(caller.KeyId, caller.Name, caller.Role.ToWire());
        var userAgent = context.Request.Headers.UserAgent.ToString();
        return new AuditEntry(
            tenant, actor, action, target, outcome, reason, context.TraceIdentifier,
            context.Connection.RemoteIpAddress?.ToString(),
            userAgent.Length > 256 ? userAgent[..256] : userAgent.Length == 0 ? null : userAgent,
            hmac);
    }
}
