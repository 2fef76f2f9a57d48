namespace Broker.Client;

/// <summary>
/// A request needed a human's approval and did not get it: denied, expired, or not decided within
/// <see cref="BrokerClientOptions.ApprovalTimeout"/>. Never holds a secret value or key.
/// </summary>
public class ApprovalException : BrokerException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="approvalId">The broker's approval id.</param>
    /// <param name="outcome">Why there is no result.</param>
    /// <param name="reason">The approver's reason, for a denial.</param>
    public ApprovalException(string approvalId, ApprovalOutcome outcome, string? reason = null)
        : base(MessageFor(approvalId, outcome, reason), outcome == ApprovalOutcome.TimedOut ? 0 : 403)
    {
        ApprovalId = approvalId;
        Outcome = outcome;
        Reason = reason;
    }

    /// <summary>The broker's approval id (<c>GET /v1/approvals/{id}</c>).</summary>
    public string ApprovalId { get; }

    /// <summary>Denied, expired or timed out.</summary>
    public ApprovalOutcome Outcome { get; }

    /// <summary>The approver's reason, when one was given.</summary>
    public string? Reason { get; }

    private static string MessageFor(string approvalId, ApprovalOutcome outcome, string? reason) => outcome switch
    {
        ApprovalOutcome.Denied => $"Approval {approvalId} was denied" + (string.IsNullOrEmpty(reason) ? "." : $": {reason}"),
        ApprovalOutcome.Expired => $"Approval {approvalId} expired before anyone decided it.",
        _ => $"Approval {approvalId} was not decided within the approval timeout.",
    };
}
