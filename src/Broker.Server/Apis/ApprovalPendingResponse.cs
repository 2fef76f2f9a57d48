using Microsoft.AspNetCore.Http.HttpResults;

namespace Broker.Server.Apis;

/// <summary>The 202 of a request held for a human: wait on <c>GET /v1/approvals/{approvalId}?wait=</c>, then repeat with <c>Broker-Approval</c>.</summary>
public sealed record ApprovalPendingResponse(string ApprovalId, string Status, DateTimeOffset ExpiresAt)
{
    public const string ApprovalHeader = "Broker-Approval";

    public static Accepted<ApprovalPendingResponse> From(Broker.Approvals.Approval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        return TypedResults.Accepted("/v1/approvals/" + approval.Id, new ApprovalPendingResponse(approval.Id, approval.StoredStatus, approval.ExpiresAt));
    }

    /// <summary>Runs a use case that may hold its request for a human: its result as 200 (never cached), or the 202 of the held request.</summary>
    public static async Task<Results<Ok<TResponse>, Accepted<ApprovalPendingResponse>>> OkOrHeldAsync<TResult, TResponse>(
        HttpContext http, Func<Task<TResult>> run, Func<TResult, TResponse> map)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(map);
        TResult result;
        try
        {
            result = await run().ConfigureAwait(false);
        }
        catch (Broker.Approvals.ApprovalPendingException pending)
        {
            return From(pending.Approval);
        }

        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(map(result));
    }
}
