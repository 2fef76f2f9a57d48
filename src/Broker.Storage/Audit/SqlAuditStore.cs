using Broker.Audit;
using Broker.Storage.Rows;
using Dapper;

namespace Broker.Storage.Audit;

/// <summary>
/// The reads of <see cref="IAuditStore"/> (table <c>audit_records</c>, migration 0003), written once for every SQL
/// database. Appending a batch is each database's own fastest form, so it is left to the store. Every value is a
/// bound parameter.
/// </summary>
public abstract class SqlAuditStore : IAuditStore
{
    /// <summary>The columns of <see cref="AuditRow"/>, for a store's own reads.</summary>
    protected const string Columns =
        "tenant AS Tenant, id AS Id, time AS Time, actor_key_id AS ActorKeyId, actor_name AS ActorName, " +
        "actor_role AS ActorRole, action AS Action, target AS Target, outcome AS Outcome, reason AS Reason, " +
        "request_id AS RequestId, client_address AS ClientAddress, user_agent AS UserAgent, value_hmac AS ValueHmac, " +
        "prev_hash AS PrevHash, hash AS Hash";

    private readonly StoreDialect _dialect;

    protected SqlAuditStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
    }

    public abstract Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);

    public Task<AuditChainHead> GetHeadAsync(string tenant, CancellationToken cancellationToken) =>
        _dialect.RunAsync(async connection =>
        {
            var head = await connection.QueryFirstOrDefaultAsync<(long Id, string Hash)?>(new CommandDefinition(
                "SELECT id, hash FROM audit_records WHERE tenant = @tenant ORDER BY id DESC LIMIT 1",
                new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return head is { } h ? new AuditChainHead(h.Id, h.Hash) : AuditChainHead.Genesis;
        }, cancellationToken);

    // CAST gives the optional filters a type when they are null (PostgreSQL cannot infer one from a null parameter).
    public Task<IReadOnlyList<AuditRecord>> QueryAsync(string tenant, DateTimeOffset? since, string? action, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant " +
            "AND (CAST(@since AS text) IS NULL OR time >= CAST(@since AS text)) AND (CAST(@action AS text) IS NULL OR action = CAST(@action AS text)) ORDER BY id LIMIT @limit",
            new { tenant, since = since is null ? null : AuditTime.ToText(since.Value), action, limit = (long)limit },
            cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> ReadChainAsync(string tenant, long afterId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND id > @afterId ORDER BY id LIMIT @limit",
            new { tenant, afterId, limit = (long)limit },
            cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> GetRecentByKeyAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND (actor_key_id = @keyId OR (action = 'inbound.verify' AND target = @keyId)) ORDER BY id DESC LIMIT @limit",
            new { tenant, keyId, limit = (long)limit },
            cancellationToken);

    /// <summary>Through the database's index on (tenant, value_hmac, id) by default; a store may answer it another way.</summary>
    public virtual Task<IReadOnlyList<AuditRecord>> FindByValueHmacAsync(string tenant, string valueHmac, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND value_hmac = @valueHmac ORDER BY id DESC LIMIT @limit",
            new { tenant, valueHmac, limit = (long)limit },
            cancellationToken);

    /// <summary>The dialect the reads run through.</summary>
    protected StoreDialect Dialect => _dialect;

    private Task<IReadOnlyList<AuditRecord>> ReadAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        _dialect.RunAsync<IReadOnlyList<AuditRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToRecord()).ToList();
        }, cancellationToken);
}
