using Broker.Audit;
using Broker.Core;

namespace Broker.Server.Security;

/// <summary>Builds audit entries from the request (actor, request id, client address, user agent) and awaits their durability.</summary>
public sealed class RequestAudit(IAuditLog log)
{
    public ValueTask RecordAsync(HttpContext context, string action, string target, string outcome = AuditOutcomes.Allowed, string? reason = null, string? valueHmac = null)
    {
        var caller = context.Features.Get<Caller>();
        return RecordAsync(context, caller?.Tenant ?? Tenants.Default, caller, action, target, outcome, reason, valueHmac);
    }

    public ValueTask RecordAsync(HttpContext context, string tenant, Caller? caller, string action, string target, string outcome, string? reason, string? valueHmac = null)
    {
        var actor = caller is null ? AuditActor.Anonymous : new AuditActor(caller.KeyId, caller.Name, caller.Role.ToWire());
        var userAgent = context.Request.Headers.UserAgent.ToString();
        var entry = new AuditEntry(
            tenant, actor, action, target, outcome, reason, context.TraceIdentifier,
            context.Connection.RemoteIpAddress?.ToString(),
            userAgent.Length > 256 ? userAgent[..256] : userAgent.Length == 0 ? null : userAgent,
            valueHmac);
        return log.RecordAsync(entry, context.RequestAborted);
    }
}
