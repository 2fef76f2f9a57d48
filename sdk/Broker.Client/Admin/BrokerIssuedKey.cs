namespace Broker.Client.Admin;

/// <summary>A key just issued or rotated (<c>POST /v1/keys</c>, <c>POST /v1/keys/{id}/rotate</c>): the only time its secret is shown.</summary>
/// <remarks><see cref="ToString"/> never shows <see cref="Key"/>.</remarks>
/// <param name="Id">The key's id (unchanged by a rotation).</param>
/// <param name="Key">The secret (<c>brk_…</c>). Shown once; never log it.</param>
/// <param name="Name">Its name.</param>
/// <param name="Role">Its role.</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="Prefix">The first 12 characters of the secret.</param>
/// <param name="CreatedAt">When it was issued.</param>
/// <param name="ExpiresAt">When it expires, if ever.</param>
/// <param name="Credentials">The credential patterns of an agent key.</param>
/// <param name="Agents">The agent patterns of a caller key.</param>
/// <param name="RateLimitPerMinute">Requests per minute; null is no limit.</param>
/// <param name="QuotaPerDay">Requests per UTC day; null is no limit.</param>
/// <param name="VerifyAs">Extra agent names an agent key may verify for.</param>
/// <param name="Tokens">v1.1: the tokens an agent key may mint; null: none.</param>
/// <param name="Sts">v1.1: the AWS sessions an agent key may get.</param>
/// <param name="Subjects">v1.1: <c>proven</c> or <c>any</c> for an agent key.</param>
/// <param name="Approval">v1.1: which requests of an agent key wait for a human.</param>
public sealed record BrokerIssuedKey(
    string Id,
    string Key,
    string Name,
    string Role,
    string Tenant,
    string Prefix,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    IReadOnlyList<string>? Credentials,
    IReadOnlyList<string>? Agents,
    int? RateLimitPerMinute,
    int? QuotaPerDay,
    IReadOnlyList<string>? VerifyAs,
    BrokerTokenGrant? Tokens = null,
    BrokerStsGrant? Sts = null,
    string? Subjects = null,
    BrokerApprovalGrant? Approval = null)
{
    /// <summary>Describes the key without its secret.</summary>
    /// <returns>The id, name, role and prefix.</returns>
    public override string ToString() => $"BrokerIssuedKey {{ Id = {Id}, Name = {Name}, Role = {Role}, Prefix = {Prefix}, Key = *** }}";
}
