using Broker.Core.Grants;

namespace Broker.Keys;

public sealed record CreateKeyRequest(
    string? Name,
    string? Role,
    string? Tenant,
    IReadOnlyList<string>? Credentials,
    IReadOnlyList<string>? Agents,
    int? RateLimitPerMinute,
    int? QuotaPerDay,
    DateTimeOffset? ExpiresAt,
    IReadOnlyList<string>? VerifyAs = null,
    TokenGrant? Tokens = null,
    StsGrant? Sts = null,
    string? Subjects = null,
    ApprovalGrant? Approval = null,
    string? Subject = null);
