namespace Broker.Client;

/// <summary>Why a request that needed a human's approval did not get its result.</summary>
public enum ApprovalOutcome
{
    /// <summary>An approver denied it (<see cref="ApprovalException.Reason"/> says why).</summary>
    Denied,

    /// <summary>Nobody decided before the approval expired on the broker.</summary>
    Expired,

    /// <summary>No decision within <see cref="BrokerClientOptions.ApprovalTimeout"/>; the approval may still be decided later.</summary>
    TimedOut,
}
