using Broker.Core.Grants;

namespace Broker.Identity;

/// <summary>
/// The agent fields of <c>POST /v1/keys</c> (without name, role, tenant and expiry) that a workload profile gives every
/// access token it issues; checked exactly as a key's.
/// </summary>
public sealed record WorkloadKeyFields(
    IReadOnlyList<string>? Credentials = null,
    IReadOnlyList<string>? Agents = null,
    int? RateLimitPerMinute = null,
    int? QuotaPerDay = null,
    IReadOnlyList<string>? VerifyAs = null,
    TokenGrant? Tokens = null,
    StsGrant? Sts = null,
    string? Subjects = null,
    ApprovalGrant? Approval = null);
