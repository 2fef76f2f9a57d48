namespace Broker.Approvals;

/// <summary>What a read of one approval found: the approval, nothing the caller may see (404), or a key that stopped being valid during the wait (401).</summary>
public sealed record ApprovalWaitResult(Approval? Approval, bool KeyInvalid)
{
    public static ApprovalWaitResult NotFound { get; } = new(null, false);

    public static ApprovalWaitResult Unauthenticated { get; } = new(null, true);
}
