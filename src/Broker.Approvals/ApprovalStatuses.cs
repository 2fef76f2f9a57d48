namespace Broker.Approvals;

/// <summary>The <c>status</c> of an approval. <see cref="Expired"/> is never stored: a pending or unused approved one past its expiry reads as it.</summary>
public static class ApprovalStatuses
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Denied = "denied";
    public const string Expired = "expired";

    public static bool IsKnown(string? value) => value is Pending or Approved or Denied or Expired;
}
