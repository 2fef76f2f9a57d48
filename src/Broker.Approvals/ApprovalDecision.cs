namespace Broker.Approvals;

/// <summary>A decision on a pending approval, as written.</summary>
/// <param name="Status"><see cref="ApprovalStatuses.Approved"/> or <see cref="ApprovalStatuses.Denied"/>.</param>
/// <param name="DecidedByKeyId">The deciding key's id.</param>
/// <param name="DecidedBy">The deciding key's name.</param>
/// <param name="DecidedAt">When.</param>
/// <param name="Reason">Why (required for a denial).</param>
/// <param name="ExpiresAt">Until when an approval may be used (a denial keeps the request's expiry).</param>
/// <param name="GrantedLifetimeSeconds">A shorter ttl or duration than asked, or null.</param>
/// <param name="GrantedScopes">Fewer scopes than asked, or null.</param>
public sealed record ApprovalDecision(
    string Status, string DecidedByKeyId, string DecidedBy, DateTimeOffset DecidedAt, string? Reason, DateTimeOffset ExpiresAt,
    int? GrantedLifetimeSeconds = null, IReadOnlyList<string>? GrantedScopes = null);
