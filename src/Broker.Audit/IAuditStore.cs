namespace Broker.Audit;

/// <summary>
/// Where audit records live. Append-only by design: there is no update and no delete path. Implementations bind
/// every parameter and never build SQL from record contents.
/// </summary>
public interface IAuditStore
{
    /// <summary>
    /// Appends already-chained records (several tenants may be interleaved; each tenant's records are in id order)
    /// atomically in one transaction: all become durable or none do. Throws when any (tenant, id) already exists,
    /// which is what keeps two writers from forking a chain.
    /// </summary>
    Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);

    /// <summary>The last record of the tenant's chain, or <see cref="AuditChainHead.Genesis"/> when it has none.</summary>
    Task<AuditChainHead> GetHeadAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>The tenant's records, oldest first (by id), with <c>time &gt;= since</c> and the action when given.</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAsync(
        string tenant, DateTimeOffset? since, string? action, int limit, CancellationToken cancellationToken);

    /// <summary>One page of the tenant's chain in id order: records with <c>id &gt; afterId</c>, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditRecord>> ReadChainAsync(
        string tenant, long afterId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The most recent uses of the key <paramref name="keyId"/>, newest first (the leaked-key report): records whose actor
    /// it is, and verifies of it by agents (an inbound caller key is used through <c>inbound.verify</c>).
    /// </summary>
    Task<IReadOnlyList<AuditRecord>> GetRecentByKeyAsync(
        string tenant, string keyId, int limit, CancellationToken cancellationToken);

    /// <summary>The most recent records that carry <paramref name="valueHmac"/>, newest first ("was this secret read?").</summary>
    Task<IReadOnlyList<AuditRecord>> FindByValueHmacAsync(
        string tenant, string valueHmac, int limit, CancellationToken cancellationToken);
}
