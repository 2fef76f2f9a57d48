using Broker.Core.Grants;

namespace Broker.Keys;

/// <summary>
/// A change to what a key may do: each field given replaces the key's; a field left out (null) stays as it is. To take
/// a grant away, give it empty (<c>tokens: {audiences: []}</c> mints nothing).
/// </summary>
public sealed record PatchKeyRequest(
    IReadOnlyList<string>? Credentials = null,
    IReadOnlyList<string>? Agents = null,
    TokenGrant? Tokens = null,
    StsGrant? Sts = null,
    string? Subjects = null,
    ApprovalGrant? Approval = null,
    IReadOnlyList<string>? VerifyAs = null,
    int? RateLimitPerMinute = null,
    int? QuotaPerDay = null,
    DateTimeOffset? ExpiresAt = null);
