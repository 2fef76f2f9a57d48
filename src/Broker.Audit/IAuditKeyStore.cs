namespace Broker.Audit;

/// <summary>
/// Durable home of the audit signing keys (apart from the token signing keys), shared by every replica. Holds the
/// private key only sealed and never decrypts. Keys are never deleted: the JWKS keeps every key that ever signed a
/// checkpoint, so old checkpoints stay verifiable.
/// </summary>
public interface IAuditKeyStore
{
    /// <summary>Adds a key; a kid that already exists is a <see cref="Broker.Core.BrokerOperationException"/> of kind Conflict.</summary>
    Task AddKeyAsync(AuditKeyRecord key, CancellationToken cancellationToken = default);

    /// <summary>Every stored key, oldest first.</summary>
    Task<IReadOnlyList<AuditKeyRecord>> ListKeysAsync(CancellationToken cancellationToken = default);
}
