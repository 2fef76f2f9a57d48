using Broker.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Broker.Server.Apis;

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", Healthz).WithTags("Health").WithSummary("200 when the process is up.");
        app.MapGet("/readyz", ReadyzAsync).WithTags("Health").WithSummary("200 when the store and key material are usable, 503 otherwise.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static Ok<HealthResponse> Healthz() => TypedResults.Ok(new HealthResponse("ok"));

    public static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> ReadyzAsync(Readiness readiness, CancellationToken cancellationToken)
    {
        var (ready, problem) = await readiness.CheckAsync(cancellationToken);
        return ready
            ? TypedResults.Ok(new HealthResponse("ready"))
            : TypedResults.Problem(problem, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", type: Security.Problems.TypeFor(503));
    }

    public sealed record HealthResponse(string Status);
}
