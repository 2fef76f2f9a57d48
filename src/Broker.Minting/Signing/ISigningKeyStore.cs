namespace Broker.Minting.Signing;

/// <summary>
/// Durable home of the signing keys, shared by every replica. Implementations hold only what
/// <see cref="SigningKeyRecord"/> carries (the private key sealed) and never decrypt anything.
/// Times are kept to at least millisecond precision.
/// </summary>
public interface ISigningKeyStore
{
    /// <summary>Adds a new key. A kid that already exists is a <see cref="Broker.Core.BrokerOperationException"/> of kind Conflict.</summary>
    Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default);

    /// <summary>Every stored key, retired or not, in no particular order.</summary>
    Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a key retired at <paramref name="retiredAt"/> with the time its last token expires, only if it is not
    /// retired yet (a compare-and-set, so two replicas retiring the same key keep the first retirement time).
    /// </summary>
    /// <returns>Whether this call retired the key.</returns>
    Task<bool> TryRetireAsync(string kid, DateTimeOffset retiredAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retires a key at once and for good (a compromised key): sets <see cref="SigningKeyRecord.RevokedAt"/> (keeping
    /// an earlier one), retires it if it was not (with <paramref name="expiresAt"/>), and erases its sealed private
    /// key. Durable before it returns; with replicas, it also tells the others to reload their view.
    /// </summary>
    /// <returns>Whether the store has a key with this kid.</returns>
    Task<bool> RevokeAsync(string kid, DateTimeOffset revokedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Deletes retired keys whose <see cref="SigningKeyRecord.ExpiresAt"/> is at or before <paramref name="before"/>.</summary>
    /// <returns>How many keys were deleted.</returns>
    Task<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken = default);
}
