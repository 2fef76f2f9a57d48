namespace Broker.Server.Security;

/// <summary>
/// The one 401 (<see cref="Problems.Unauthenticated"/>, byte for byte, same headers) as a handler's result: for a
/// request whose key stopped being valid while the handler held it (revoked, rotated away or expired during a
/// long-poll). Routes declare the 401 already (<c>ProducesProblem</c>).
/// </summary>
public sealed class UnauthenticatedHttpResult : IResult, IStatusCodeHttpResult
{
    public static readonly UnauthenticatedHttpResult Instance = new();

    private UnauthenticatedHttpResult()
    {
    }

    public int? StatusCode => StatusCodes.Status401Unauthorized;

    public Task ExecuteAsync(HttpContext httpContext) => Problems.WriteUnauthenticatedAsync(httpContext);
}
