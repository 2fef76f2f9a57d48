namespace Broker.Client.Admin;

/// <summary>What a leaked value was (<c>POST /v1/keys/revoke-leaked</c>): the key it belongs to, now revoked, and where it was used.</summary>
/// <param name="Id">The key's id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Role">Its role.</param>
/// <param name="Status"><c>revoked</c>.</param>
/// <param name="RevokedAt">When it was revoked.</param>
/// <param name="LastUsedAt">Its last use, if any.</param>
/// <param name="RecentUse">Its most recent audit records, newest first.</param>
public sealed record BrokerLeakedKeyReport(
    string Id,
    string Name,
    string Role,
    string Status,
    DateTimeOffset RevokedAt,
    DateTimeOffset? LastUsedAt,
    IReadOnlyList<BrokerAuditRecord> RecentUse);
