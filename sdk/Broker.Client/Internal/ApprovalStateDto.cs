namespace Broker.Client.Internal;

/// <summary>What the client reads of a 202 (<c>approvalId</c>) and of <c>GET /v1/approvals/{id}</c> (<c>status</c>, <c>reason</c>).</summary>
internal sealed class ApprovalStateDto
{
    public string? ApprovalId { get; set; }
    public string? Status { get; set; }
    public string? Reason { get; set; }
}
