using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

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

    /// <summary>Liveness: runs no health check, so a slow store never gets a live process restarted.</summary>
    public static Ok<HealthResponse> Healthz() => TypedResults.Ok(new HealthResponse("ok"));

    /// <summary>
    /// Readiness: every registered health check (the key material, the store). The problem's detail is the first
    /// failing check's description, in registration order; <c>checks</c> gives each check's status.
    /// </summary>
    public static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> ReadyzAsync(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        if (report.Status != HealthStatus.Unhealthy)
        {
            return TypedResults.Ok(new HealthResponse("ready"));
        }

        // A check that threw or timed out has the exception's message as its description: never sent to an anonymous caller.
        var (name, failed) = report.Entries.First(e => e.Value.Status == HealthStatus.Unhealthy);
        var problem = failed.Exception is null && !string.IsNullOrEmpty(failed.Description) ? failed.Description : $"The {name} check failed.";
        var checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString().ToLowerInvariant(), StringComparer.Ordinal);
        return TypedResults.Problem(problem, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready", type: Security.Problems.TypeFor(503),
            extensions: new Dictionary<string, object?> { ["checks"] = checks });
    }

    public sealed record HealthResponse(string Status);
}
