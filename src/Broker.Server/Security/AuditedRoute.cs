namespace Broker.Server.Security;

/// <summary>
/// Endpoint metadata: the audit action of a route that records its refusals. The route's handler records what it
/// refuses itself; this covers the refusals that happen before it runs (a body that is not JSON of the route's
/// shape, or too large while streamed), which <see cref="BrokerExceptionHandler"/> records as <c>denied</c>.
/// </summary>
/// <param name="Action">The route's audit action.</param>
/// <param name="Target">The record's target from the route values and query (the body was not read); null: <c>(unread)</c>.</param>
public sealed record AuditedRoute(string Action, Func<RouteValueDictionary, IQueryCollection, string>? Target = null)
{
    public string TargetOf(RouteValueDictionary? routeValues, IQueryCollection query)
    {
        var target = Target is null || routeValues is null ? "(unread)" : Target(routeValues, query);
        return target.Length > 512 ? target[..512] : target;
    }
}
