using Broker.Core;

namespace Broker.Server.Security;

public static class CallerExtensions
{
    /// <summary>The authenticated caller of a route that requires a role.</summary>
    public static Caller GetCaller(this HttpContext context) =>
        context.Features.Get<Caller>() ?? throw new InvalidOperationException("The route has no authenticated caller: it must declare RequireRole.");
}
