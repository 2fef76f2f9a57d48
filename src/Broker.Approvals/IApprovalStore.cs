namespace Broker.Approvals;

/// <summary>
/// Where approvals live (the broker's store, so they survive a restart and are shared by replicas). Decisions and
/// consumption are single conditional writes: two approvers, or two replays of one approval, cannot both win.
/// </summary>
public interface IApprovalStore
{
    Task InsertAsync(Approval approval, CancellationToken cancellationToken = default);

    /// <summary>The approval <paramref name="id"/> of <paramref name="tenant"/>, or null.</summary>
    Task<Approval?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default);

    /// <summary>The tenant's approvals, newest first (at most <paramref name="limit"/>); <paramref name="pendingAt"/>: only those still pending then.</summary>
    Task<IReadOnlyList<Approval>> ListAsync(string tenant, DateTimeOffset? pendingAt, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Decides a pending approval that has not expired at <paramref name="decision"/>'s time; false when it was not
    /// pending any more (decided, or expired). A decision is announced to every replica's waiters.
    /// </summary>
    Task<bool> DecideAsync(string tenant, string id, ApprovalDecision decision, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks an approved, unused, unexpired approval asked by <paramref name="keyId"/> with <paramref name="hash"/> as
    /// used at <paramref name="now"/>; false when any of that does not hold (nothing changes then).
    /// </summary>
    Task<bool> ConsumeAsync(string tenant, string id, string keyId, string hash, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back a use that delivered nothing (the upstream refused or failed after the approval was consumed): the
    /// approval used at exactly <paramref name="consumedAt"/> by <paramref name="keyId"/> becomes unused again; false
    /// when it is not in that state (nothing changes then).
    /// </summary>
    Task<bool> ReleaseAsync(string tenant, string id, string keyId, DateTimeOffset consumedAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the approvals that expired before <paramref name="expiredBefore"/> (none of them can be decided or used
    /// any more; their decisions stay in the audit trail); returns how many.
    /// </summary>
    Task<int> PruneAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default);

    /// <summary>
    /// Approvals of every tenant that expired at or before <paramref name="now"/> and whose expiry nobody has claimed
    /// yet (<see cref="ClaimExpiryAsync"/>), oldest expiry first, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<Approval>> ListExpiryDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims the announcement of approval <paramref name="id"/>'s expiry, once across every replica: true for the one
    /// caller that marks it, false when it was already claimed. <paramref name="claimed"/> false gives a claim back
    /// (its record could not be written), so a later pass tries again.
    /// </summary>
    Task<bool> ClaimExpiryAsync(string tenant, string id, bool claimed = true, CancellationToken cancellationToken = default);

    /// <summary>Stores an announcement of approval <paramref name="approvalId"/> for the webhook, due at <paramref name="now"/>.</summary>
    Task AddAnnouncementAsync(string tenant, string approvalId, string body, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="limit"/> announcements due at <paramref name="now"/> and not claimed by anyone until
    /// then, oldest first, until <paramref name="claimedUntil"/>: none behind an earlier one of the same approval, and
    /// none that another replica claimed first.
    /// </summary>
    Task<IReadOnlyList<ApprovalAnnouncement>> ClaimAnnouncementsAsync(DateTimeOffset now, DateTimeOffset claimedUntil, int limit, CancellationToken cancellationToken = default);

    /// <summary>Removes an announcement (sent, or given up).</summary>
    Task DeleteAnnouncementAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Records a failed attempt: <paramref name="attempts"/> so far, the next at <paramref name="nextAttemptAt"/>; the claim ends.</summary>
    Task RetryAnnouncementAsync(long id, int attempts, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default);
}
