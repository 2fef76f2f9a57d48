using Broker.Audit;
using Broker.Storage.Rows;
using Dapper;

namespace Broker.Storage.Audit;

/// <summary>
/// The reads of <see cref="IAuditRetentionStore"/> (table <c>audit_anchors</c>; migrations sqlite 0012, postgres 0013),
/// written once for every SQL database. Pruning is each database's own: SQLite checks the anchor in the transaction
/// (its delete trigger refuses any record above the anchor), PostgreSQL calls a function owned by the owner role,
/// because the runtime role may not delete audit records itself.
/// </summary>
public abstract class SqlAuditRetentionStore : IAuditRetentionStore
{
    protected SqlAuditRetentionStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        Dialect = dialect;
    }

    protected StoreDialect Dialect { get; }

    public Task<AuditCheckpoint?> GetAnchorAsync(string tenant, CancellationToken cancellationToken = default) =>
        Dialect.RunAsync(async connection =>
        {
            var row = await connection.QueryFirstOrDefaultAsync<AuditCheckpointRow>(new CommandDefinition(
                "SELECT tenant AS Tenant, id AS Id, hash AS Hash, time AS Time, kid AS Kid, signature AS Signature FROM audit_anchors WHERE tenant = @tenant",
                new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row?.ToCheckpoint();
        }, cancellationToken);

    public Task<IReadOnlyList<string>> ListTenantsWithRecordsBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        Dialect.RunAsync<IReadOnlyList<string>>(async connection =>
        {
            var tenants = await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT DISTINCT tenant FROM audit_records WHERE time < @before",
                new { before = AuditTime.ToText(before) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return tenants.Order(StringComparer.Ordinal).ToArray();
        }, cancellationToken);

    // Time never decreases along a chain (the writer keeps it so), so the newest old record is the highest old id.
    public Task<long?> GetLastIdBeforeAsync(string tenant, DateTimeOffset before, CancellationToken cancellationToken = default) =>
        Dialect.RunAsync(connection => connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MAX(id) FROM audit_records WHERE tenant = @tenant AND time < @before",
            new { tenant, before = AuditTime.ToText(before) }, cancellationToken: cancellationToken)), cancellationToken);

    public abstract Task<int> PruneAsync(AuditCheckpoint anchor, int batchSize, CancellationToken cancellationToken = default);

    /// <summary>One process per database file (SQLite): the lease is the caller's own one-pass-at-a-time gate.</summary>
    public virtual Task<IAsyncDisposable?> TryLeaseRunAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IAsyncDisposable?>(NoLease.Instance);

    private sealed class NoLease : IAsyncDisposable
    {
        public static readonly NoLease Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    protected static void ValidatePrune(AuditCheckpoint anchor, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        ArgumentException.ThrowIfNullOrEmpty(anchor.Tenant);
        ArgumentOutOfRangeException.ThrowIfLessThan(anchor.Id, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
    }
}
