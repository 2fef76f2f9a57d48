using Broker.Approvals;
using Broker.Core;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>
/// Human approval (API.md v1.1 "Approvals"): the requesting agent key waits on its own approval; approvers and
/// admins list, approve (narrower only) and deny the tenant's pending requests. A key never decides its own request.
/// </summary>
public static class ApprovalsApi
{
    public static IEndpointRouteBuilder MapApprovalsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/approvals").WithTags("Approvals")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ListAsync).RequireRole(Role.Approver).WithSummary("The tenant's approvals, newest first (status= pending, approved, denied, expired).");
        api.MapGet("/{id}", GetAsync).RequireRole(Role.Approver, Role.Agent)
            .WithSummary("One approval: the requesting key's own, or any for an approver; wait= (≤ 60 s) holds a pending one until it is decided.");
        api.MapPost("/{id}/approve", ApproveAsync).RequireRole(Role.Approver)
            .WithSummary("Approve a pending request, as asked or narrower (ttlSeconds, scopes); never one made by the approving key.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{id}/deny", DenyAsync).RequireRole(Role.Approver).WithSummary("Deny a pending request with a reason.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<Ok<ApprovalListResponse>> ListAsync([FromQuery] string? status, HttpContext http, ApprovalDesk desk, TimeProvider time, CancellationToken cancellationToken)
    {
        var items = await desk.ListAsync(http.GetAuditContext(), status, cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Ok(new ApprovalListResponse(items.Select(a => ApprovalResponse.From(a, now)).ToArray()));
    }

    public static async Task<Results<Ok<ApprovalResponse>, UnauthenticatedHttpResult>> GetAsync(
        string id, [FromQuery] int? wait, HttpContext http, ApprovalDesk desk, TimeProvider time, CancellationToken cancellationToken)
    {
        var result = await desk.GetAsync(http.GetAuditContext(), http.GetAuthenticatedKey(), id, wait ?? 0, cancellationToken);
        if (result.KeyInvalid)
        {
            return UnauthenticatedHttpResult.Instance;
        }

        return result.Approval is { } approval
            ? TypedResults.Ok(ApprovalResponse.From(approval, time.GetUtcNow()))
            : throw new BrokerOperationException(BrokerErrorKind.NotFound, "No such approval for this key.");
    }

    public static async Task<Ok<ApprovalResponse>> ApproveAsync(string id, [FromBody] ApproveRequest? body, HttpContext http, ApprovalDesk desk, TimeProvider time, CancellationToken cancellationToken)
    {
        var approval = await desk.ApproveAsync(http.GetAuditContext(), id, new ApprovalNarrowing(body?.Reason, body?.TtlSeconds, body?.Scopes), cancellationToken);
        return TypedResults.Ok(ApprovalResponse.From(approval, time.GetUtcNow()));
    }

    public static async Task<Ok<ApprovalResponse>> DenyAsync(string id, [FromBody] DenyRequest? body, HttpContext http, ApprovalDesk desk, TimeProvider time, CancellationToken cancellationToken)
    {
        var approval = await desk.DenyAsync(http.GetAuditContext(), id, body?.Reason, cancellationToken);
        return TypedResults.Ok(ApprovalResponse.From(approval, time.GetUtcNow()));
    }
}
