using Broker.Audit;
using Broker.Core;

namespace Broker.Server.Security;

/// <summary>
/// The host's refusals that happen before any use case runs (authentication, rate limit, role, an unreadable body),
/// recorded through the one <see cref="AuditTrail"/> with the request as its context.
/// </summary>
public sealed class RequestAudit(AuditTrail trail)
{
    /// <summary>Records one decision of an audited route that was refused before its handler ran.</summary>
    public ValueTask RecordAsync(HttpContext context, string action, string target, string outcome, string? reason) =>
        trail.RecordAsync(context.GetAuditContext(), action, target, outcome, reason);

    /// <summary>
    /// Records a refused request as <c>request.denied</c> with reason <c>why:status</c>. Never throws for an
    /// unavailable audit: the request is refused either way.
    /// </summary>
    public ValueTask RecordDeniedAsync(HttpContext context, Caller? caller, int status, string why)
    {
        var audit = context.GetAuditContext();
        if (audit.Caller is null && caller is not null)
        {
            audit = audit with { Caller = caller };
        }

        return trail.RecordDeniedAsync(audit, status, why);
    }
}
