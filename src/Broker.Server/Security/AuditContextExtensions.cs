using Broker.Audit;
using Broker.Core;

namespace Broker.Server.Security;

public static class AuditContextExtensions
{
    /// <summary>The request as the audit trail records it: caller (if authenticated), request id, request line, client.</summary>
    public static AuditContext GetAuditContext(this HttpContext context)
    {
        var request = context.Request;
        var userAgent = request.Headers.UserAgent;
        return new AuditContext(
            context.Features.Get<Caller>(), context.TraceIdentifier, request.Method + " " + request.Path.Value,
            context.Connection.RemoteIpAddress?.ToString(), userAgent.Count == 0 ? null : userAgent.ToString(), context.RequestAborted);
    }
}
