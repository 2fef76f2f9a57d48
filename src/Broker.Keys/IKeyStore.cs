namespace Broker.Keys;

/// <summary>
/// Storage of inbound keys. Only hashes of secrets are stored. Queries that take a tenant are scoped to it in
/// the store itself; <see cref="FindByHashAsync"/> is the one tenant-less lookup (authentication).
/// </summary>
public interface IKeyStore
{
    Task<bool> AnyAsync(CancellationToken cancellationToken = default);

    Task InsertAsync(ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken = default);

    /// <summary>Finds the key a secret hash belongs to (current secret, or a previous one still in its grace period).</summary>
    Task<KeyHashMatch?> FindByHashAsync(byte[] secretHash, CancellationToken cancellationToken = default);

    Task<ApiKeyRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>Revokes a key of the tenant (idempotent: an already revoked key keeps its first revocation time).</summary>
    /// <returns>The key after the revoke, or null when the tenant has no such key.</returns>
    Task<ApiKeyRecord?> RevokeAsync(string tenant, string id, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a new secret to an active key and keeps the previous ones until <paramref name="previousSecretsExpireAt"/>
    /// (null: they stop now). The key is never a bootstrap key afterwards: a rotation does not hand bootstrap status on.
    /// </summary>
    /// <summary>
    /// Replaces what a key may do (patterns, grants, limits, expiry) and appends a key event in the same transaction, so
    /// every replica drops the key from its cache; null when the tenant has no such key. Prefix, role, secrets and
    /// revocation are left as they are.
    /// </summary>
    Task<ApiKeyRecord?> UpdateAsync(ApiKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This key store cannot change keys.");

    Task<ApiKeyRecord?> RotateAsync(string tenant, string id, byte[] newSecretHash, string newPrefix, DateTimeOffset now, DateTimeOffset? previousSecretsExpireAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// The key registered as bootstrap admin key with this secret, whatever its state now (rotated since, revoked), so
    /// that a configured value is registered once and never comes back after a rotation dropped its hash.
    /// </summary>
    Task<ApiKeyRecord?> FindBootstrapAsync(byte[] secretHash, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes every active bootstrap key ordered before <paramref name="keep"/> (by creation time, then id), as
    /// <see cref="RevokeAsync"/> does (with key events, so replicas drop them). Ordering rather than "every other"
    /// means replicas starting at once with two different values keep exactly one: the newer.
    /// </summary>
    /// <returns>The ids revoked now.</returns>
    Task<IReadOnlyList<string>> RevokeBootstrapKeysBeforeAsync(ApiKeyRecord keep, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Stamps last use of several keys at once (coalesced, off the request path).</summary>
    Task TouchAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken = default);

    /// <summary>
    /// Key ids revoked or rotated after <paramref name="sinceSequence"/>, for replicas to invalidate their caches,
    /// and the sequence to ask from next.
    /// </summary>
    Task<(IReadOnlyList<string> KeyIds, long Sequence)> GetKeyEventsAsync(long sinceSequence, CancellationToken cancellationToken = default);
}
