namespace Broker.Approvals;

/// <summary>
/// Not an error: the request was not carried out because it waits for a human (202 with <see cref="Approval"/>'s id).
/// A use case throws it after recording the request; the host answers 202.
/// </summary>
public sealed class ApprovalPendingException(Approval approval) : Exception("This request waits for a human's approval " + approval?.Id + ".")
{
    public Approval Approval { get; } = approval ?? throw new ArgumentNullException(nameof(approval));
}
