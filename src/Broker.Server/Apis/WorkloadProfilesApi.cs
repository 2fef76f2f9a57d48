using Broker.Audit;
using Broker.Core;
using Broker.Identity;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>Workload profiles (API.md v1.1 "Workload login"), for admins: which workload identities log in, with which agent grants.</summary>
public static class WorkloadProfilesApi
{
    public static IEndpointRouteBuilder MapWorkloadProfilesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/workload-profiles").WithTags("Identity").RequireRole(Role.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapPost("/", CreateAsync).WithMetadata(new AuditedRoute(AuditActions.WorkloadProfileCreate))
            .WithSummary("Let a workload identity (a trusted workloads issuer, subject and claim patterns) log in as an agent key with these fields.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ListAsync).WithSummary("The tenant's workload profiles.");
        api.MapGet("/{name}", GetAsync).WithSummary("One workload profile.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{name}", ReplaceAsync).WithMetadata(new AuditedRoute(AuditActions.WorkloadProfileUpdate))
            .WithSummary("Replace a workload profile's fields: every access token it issued stops, on every replica, before the answer; workloads log in again under the new fields.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapDelete("/{name}", DeleteAsync).WithSummary("Remove a workload profile: every access token it issued stops, on every replica, before the answer.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Created<WorkloadProfileResponse>> CreateAsync([FromBody] CreateWorkloadProfileRequest body, HttpContext http, WorkloadProfiles profiles, CancellationToken cancellationToken)
    {
        var profile = await profiles.CreateAsync(http.GetAuditContext(), body, cancellationToken);
        return TypedResults.Created($"/v1/workload-profiles/{profile.Name}", WorkloadProfileResponse.From(profile));
    }

    public static async Task<Ok<WorkloadProfileListResponse>> ListAsync(HttpContext http, WorkloadProfiles profiles, CancellationToken cancellationToken)
    {
        var items = await profiles.ListAsync(http.GetAuditContext(), cancellationToken);
        return TypedResults.Ok(new WorkloadProfileListResponse(items.Select(WorkloadProfileResponse.From).ToArray()));
    }

    public static async Task<Ok<WorkloadProfileResponse>> GetAsync(string name, HttpContext http, WorkloadProfiles profiles, CancellationToken cancellationToken) =>
        TypedResults.Ok(WorkloadProfileResponse.From(await profiles.GetAsync(http.GetAuditContext(), name, cancellationToken)));

    public static async Task<Ok<WorkloadProfileResponse>> ReplaceAsync(string name, [FromBody] CreateWorkloadProfileRequest body, HttpContext http, WorkloadProfiles profiles, CancellationToken cancellationToken) =>
        TypedResults.Ok(WorkloadProfileResponse.From(await profiles.ReplaceAsync(http.GetAuditContext(), name, body, cancellationToken)));

    public static async Task<NoContent> DeleteAsync(string name, HttpContext http, WorkloadProfiles profiles, CancellationToken cancellationToken)
    {
        await profiles.DeleteAsync(http.GetAuditContext(), name, cancellationToken);
        return TypedResults.NoContent();
    }
}

public sealed record WorkloadProfileResponse(
    string Name, string Issuer, string Subject, IReadOnlyDictionary<string, string> Claims, WorkloadKeyFields Key, int TtlSeconds, DateTimeOffset CreatedAt)
{
    public static WorkloadProfileResponse From(WorkloadProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new(profile.Name, profile.Issuer, profile.SubjectPattern, profile.Claims, profile.Key, profile.TtlSeconds, profile.CreatedAt);
    }
}

public sealed record WorkloadProfileListResponse(IReadOnlyList<WorkloadProfileResponse> Items);
