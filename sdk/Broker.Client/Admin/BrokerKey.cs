namespace Broker.Client.Admin;

/// <summary>A key as the broker lists it (<c>GET /v1/keys</c>): never its secret.</summary>
/// <param name="Id">The key's id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Role"><c>admin</c>, <c>responder</c>, <c>agent</c> or <c>caller</c>.</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="Prefix">The first 12 characters of the secret: safe to show and log.</param>
/// <param name="Status"><c>active</c>, <c>revoked</c> or <c>expired</c>.</param>
/// <param name="CreatedAt">When it was issued.</param>
/// <param name="ExpiresAt">When it expires, if ever.</param>
/// <param name="LastUsedAt">Its last use, if any.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
/// <param name="Credentials">The credential patterns an agent key may read.</param>
/// <param name="Agents">The agent patterns a caller key may call.</param>
/// <param name="RateLimitPerMinute">Requests per minute; null is no limit.</param>
/// <param name="QuotaPerDay">Requests per UTC day; null is no limit.</param>
/// <param name="VerifyAs">The agent names an agent key may verify inbound keys for besides its own.</param>
/// <param name="Tokens">v1.1: the tokens an agent key may mint; null: none.</param>
/// <param name="Sts">v1.1: the AWS sessions an agent key may get.</param>
/// <param name="Subjects">v1.1: <c>proven</c> or <c>any</c> for an agent key.</param>
/// <param name="Approval">v1.1: which requests of an agent key wait for a human.</param>
public sealed record BrokerKey(
    string Id,
    string Name,
    string Role,
    string Tenant,
    string Prefix,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt,
    IReadOnlyList<string>? Credentials,
    IReadOnlyList<string>? Agents,
    int? RateLimitPerMinute,
    int? QuotaPerDay,
    IReadOnlyList<string>? VerifyAs,
    BrokerTokenGrant? Tokens = null,
    BrokerStsGrant? Sts = null,
    string? Subjects = null,
    BrokerApprovalGrant? Approval = null);
