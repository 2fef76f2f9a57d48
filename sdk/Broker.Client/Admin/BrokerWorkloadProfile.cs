namespace Broker.Client.Admin;

/// <summary>v1.1: which workload identities log in, and as what (<c>GET /v1/workload-profiles</c>).</summary>
/// <param name="Name">The profile's name (the <c>resource</c> of a login).</param>
/// <param name="Issuer">The name of the trusted <c>workloads</c> issuer.</param>
/// <param name="Subject">The pattern the token's subject must match (<c>*</c> matches any run).</param>
/// <param name="Claims">Top-level claims and the patterns their values must match.</param>
/// <param name="Key">The agent fields every access token gets.</param>
/// <param name="TtlSeconds">The longest life of an access token (it never outlives the workload's JWT).</param>
/// <param name="CreatedAt">When it was created or last replaced.</param>
public sealed record BrokerWorkloadProfile(
    string Name,
    string Issuer,
    string Subject,
    IReadOnlyDictionary<string, string> Claims,
    BrokerWorkloadKey Key,
    int TtlSeconds,
    DateTimeOffset CreatedAt);

/// <summary>v1.1: the agent fields of a workload profile's access tokens (those of <c>POST /v1/keys</c>, without name and role).</summary>
/// <param name="Credentials">The credentials it may read.</param>
/// <param name="Agents">Unused for agent keys; kept as the broker reports it.</param>
/// <param name="RateLimitPerMinute">Requests per minute; null is no limit.</param>
/// <param name="QuotaPerDay">Requests per UTC day; null is no limit.</param>
/// <param name="VerifyAs">Other agent names it may verify inbound keys for.</param>
/// <param name="Tokens">The tokens it may mint.</param>
/// <param name="Sts">The AWS sessions it may get.</param>
/// <param name="Subjects"><c>proven</c> or <c>any</c>.</param>
/// <param name="Approval">Which of its requests wait for a human.</param>
public sealed record BrokerWorkloadKey(
    IReadOnlyList<string>? Credentials = null,
    IReadOnlyList<string>? Agents = null,
    int? RateLimitPerMinute = null,
    int? QuotaPerDay = null,
    IReadOnlyList<string>? VerifyAs = null,
    BrokerTokenGrant? Tokens = null,
    BrokerStsGrant? Sts = null,
    string? Subjects = null,
    BrokerApprovalGrant? Approval = null);
