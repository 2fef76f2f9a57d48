namespace Broker.Audit;

/// <summary>
/// Retention (docs/audit.md, "Retention"): each tenant's archive anchor, the signed checkpoint of the last record that
/// was archived and may be deleted, and the only delete path of the audit trail, which removes records at or below it.
/// The anchor only moves forward and must name a record of the chain with its hash, with at least one record after
/// it (the chain's head is never pruned, so it always continues from a record the store holds).
/// </summary>
public interface IAuditRetentionStore
{
    /// <summary>The tenant's anchor, or null when nothing of its chain was ever pruned.</summary>
    Task<AuditCheckpoint?> GetAnchorAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>The tenants with a record older than <paramref name="before"/>.</summary>
    Task<IReadOnlyList<string>> ListTenantsWithRecordsBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default);

    /// <summary>The id of the tenant's newest record older than <paramref name="before"/>, or null.</summary>
    Task<long?> GetLastIdBeforeAsync(string tenant, DateTimeOffset before, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the tenant's anchor to <paramref name="anchor"/> (or keeps it, when it is the same) and deletes at most
    /// <paramref name="batchSize"/> of the tenant's records at or below it, in one transaction.
    /// </summary>
    /// <returns>How many records were deleted; fewer than <paramref name="batchSize"/> means none is left below the anchor.</returns>
    /// <exception cref="InvalidOperationException">The anchor would move back, names no record of the chain with that hash, or is the chain's head.</exception>
    Task<int> PruneAsync(AuditCheckpoint anchor, int batchSize, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the right to run retention among every broker on this store, so that replicas sharing it do not archive
    /// the same range twice; <see langword="null"/> when another holds it. Disposing the lease gives it back. A store
    /// only one process uses (SQLite) leases at once: the caller already runs one pass at a time.
    /// </summary>
    Task<IAsyncDisposable?> TryLeaseRunAsync(CancellationToken cancellationToken = default);
}
