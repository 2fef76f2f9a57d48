using Broker.Core;
using Broker.Keys;

namespace Broker.Server.Security;

public static class CallerExtensions
{
    /// <summary>The authenticated caller of a route that requires a role.</summary>
    public static Caller GetCaller(this HttpContext context) =>
        context.Features.Get<Caller>() ?? throw new InvalidOperationException("The route has no authenticated caller: it must declare RequireRole.");

    /// <summary>
    /// The key that authenticated the request, for handlers that hold the request open: they wait through it and
    /// check it again before they answer (<see cref="AuthenticatedKey"/>).
    /// </summary>
    public static AuthenticatedKey GetAuthenticatedKey(this HttpContext context) =>
        context.Features.Get<AuthenticatedKey>() ?? throw new InvalidOperationException("The route has no authenticated key: it must declare RequireRole.");
}
