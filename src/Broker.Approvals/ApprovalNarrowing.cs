namespace Broker.Approvals;

/// <summary>The body of an approval: a reason, and optionally less than was asked (a shorter lifetime, fewer scopes).</summary>
/// <param name="Reason">Why (optional), at most 256 characters.</param>
/// <param name="TtlSeconds">A token's ttl or an STS session's duration, at most what was asked.</param>
/// <param name="Scopes">A subset of the token scopes asked for.</param>
public sealed record ApprovalNarrowing(string? Reason = null, int? TtlSeconds = null, IReadOnlyList<string>? Scopes = null);
