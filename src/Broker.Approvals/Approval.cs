namespace Broker.Approvals;

/// <summary>
/// One request waiting for, or given, a person's decision, as stored: who asked (<see cref="KeyId"/>, name), what
/// exactly (<see cref="Ask"/>), until when, and what was decided (by whom, why, narrowed to what) and whether the
/// approval was used. No value, proof or key is ever part of it.
/// </summary>
public sealed record Approval(
    string Id,
    string Tenant,
    string KeyId,
    string RequestedBy,
    ApprovalAsk Ask,
    string StoredStatus,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string? DecidedByKeyId = null,
    string? DecidedBy = null,
    DateTimeOffset? DecidedAt = null,
    string? Reason = null,
    int? GrantedLifetimeSeconds = null,
    IReadOnlyList<string>? GrantedScopes = null,
    DateTimeOffset? ConsumedAt = null)
{
    /// <summary>The status a reader sees at <paramref name="now"/>: pending or unused approved past expiry read as expired.</summary>
    public string StatusAt(DateTimeOffset now) =>
        StoredStatus == ApprovalStatuses.Pending && ExpiresAt <= now
        || StoredStatus == ApprovalStatuses.Approved && ConsumedAt is null && ExpiresAt <= now
            ? ApprovalStatuses.Expired
            : StoredStatus;
}
