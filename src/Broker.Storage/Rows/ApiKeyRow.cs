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
    public string VerifyAsPatterns { get; init; } = "[]";

    public string Grants { get; init; } = "{}";
    public string? Subject { get; init; }
    public long? RateLimitPerMinute { get; init; }
    public long? QuotaPerDay { get; init; }
    public long CreatedAt { get; init; }
    public long? ExpiresAt { get; init; }
    public long? RevokedAt { get; init; }
    public long? LastUsedAt { get; init; }
    public bool IsBootstrap { get; init; }
    public byte[]? Hash { get; init; }
    public long? SecretExpiresAt { get; init; }

    /// <summary>
    /// The key as a record, or false when the row's role is none the broker knows: such a key is unusable (a store
    /// inconsistency to log), never read as some default role.
    /// </summary>
    public bool TryToRecord(out ApiKeyRecord record)
    {
        if (!RoleExtensions.TryParse(Role, out var role))
        {
            record = null!;
            return false;
        }

        record = new ApiKeyRecord(
            Id, Tenant, Name, role, Prefix, StoreJson.ReadList(CredentialPatterns), StoreJson.ReadList(AgentPatterns),
            (int?)RateLimitPerMinute, (int?)QuotaPerDay, UnixMs.To(CreatedAt), UnixMs.To(ExpiresAt), UnixMs.To(RevokedAt), UnixMs.To(LastUsedAt), IsBootstrap,
            StoreJson.ReadList(VerifyAsPatterns), role == Core.Role.Agent ? StoreJson.ReadGrants(Grants) : null, Subject);
        return true;
    }

    /// <exception cref="InvalidOperationException">The row's role is unknown (see <see cref="TryToRecord"/>).</exception>
    public ApiKeyRecord ToRecord() =>
        TryToRecord(out var record) ? record : throw new InvalidOperationException($"Key {Id} has a role the broker does not know; it is refused.");
}
