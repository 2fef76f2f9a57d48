using Broker.Core;
using Broker.Core.Grants;

namespace Broker.Keys;

/// <summary>A stored inbound key: metadata and nothing from which the key could be recovered.</summary>
/// <param name="Grants">For an agent key: what it may mint and use (<see cref="AgentGrants"/>); null: nothing beyond its credential patterns.</param>
/// <param name="Subject">For a caller key: the user it stands for (null: its name); see <see cref="EffectiveSubject"/>.</param>
/// <param name="VerifyAsPatterns">For an agent key: the other agent names it may verify inbound keys for (its own name always); null or empty: none.</param>
public sealed record ApiKeyRecord(
    string Id,
    string Tenant,
    string Name,
    Role Role,
    string Prefix,
    IReadOnlyList<string> CredentialPatterns,
    IReadOnlyList<string> AgentPatterns,
    int? RateLimitPerMinute,
    int? QuotaPerDay,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? LastUsedAt,
    bool IsBootstrap,
    IReadOnlyList<string>? VerifyAsPatterns = null,
    AgentGrants? Grants = null,
    string? Subject = null)
{
    /// <summary>For a caller key: the user it stands for when it proves that user to an agent (<c>Broker-User-Key</c>): its <see cref="Subject"/>, else its name.</summary>
    public string EffectiveSubject => Subject ?? Name;

    public KeyStatus StatusAt(DateTimeOffset now) =>
        RevokedAt is not null ? KeyStatus.Revoked
        : ExpiresAt is { } expires && expires <= now ? KeyStatus.Expired
        : KeyStatus.Active;

    public Caller ToCaller() => new(Id, Name, Role, Tenant, IsBootstrap, CredentialPatterns, AgentPatterns, VerifyAsPatterns ?? [], Grants);
}
