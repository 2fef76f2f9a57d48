using Broker.Core;
using Broker.Keys;

namespace Broker.Storage.Rows;

/// <summary>An inbound key's row (with, for lookups by hash, the matched secret's hash and expiry).</summary>
public sealed class ApiKeyRow
{
    public string Id { get; init; } = "";
    public string Tenant { get; init; } = "";
    public string Name { get; init; } = "";
    public string Role { get; init; } = "";
    public string Prefix { get; init; } = "";
    public string CredentialPatterns { get; init; } = "[]";
    public string AgentPatterns { get; init; } = "[]";
    public long? RateLimitPerMinute { get; init; }
    public long? QuotaPerDay { get; init; }
    public long CreatedAt { get; init; }
    public long? ExpiresAt { get; init; }
    public long? RevokedAt { get; init; }
    public long? LastUsedAt { get; init; }
    public bool IsBootstrap { get; init; }
    public byte[]? Hash { get; init; }
    public long? SecretExpiresAt { get; init; }

    public ApiKeyRecord ToRecord()
    {
        RoleExtensions.TryParse(Role, out var role);
        return new ApiKeyRecord(
            Id, Tenant, Name, role, Prefix, StoreJson.ReadList(CredentialPatterns), StoreJson.ReadList(AgentPatterns),
            (int?)RateLimitPerMinute, (int?)QuotaPerDay, UnixMs.To(CreatedAt), UnixMs.To(ExpiresAt), UnixMs.To(RevokedAt), UnixMs.To(LastUsedAt), IsBootstrap);
    }
}
