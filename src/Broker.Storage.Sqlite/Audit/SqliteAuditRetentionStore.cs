using Broker.Audit;
using Broker.Storage.Audit;
using Dapper;

namespace Broker.Storage.Sqlite.Audit;

/// <summary>
/// Retention on SQLite: the anchor is checked and moved, and the records at or below it deleted, in one write
/// transaction. Migration 0012's triggers hold the same rules for anything else that goes through SQLite: a delete
/// above the tenant's anchor and an anchor moved back are refused.
/// </summary>
public sealed class SqliteAuditRetentionStore(SqliteDatabase database) : SqlAuditRetentionStore(new SqliteDialect(database))
{
    public override Task<int> PruneAsync(AuditCheckpoint anchor, int batchSize, CancellationToken cancellationToken = default)
    {
        ValidatePrune(anchor, batchSize);
        return Dialect.RunAsync(async connection =>
        {
            await using var transaction = await Dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var current = await connection.QueryFirstOrDefaultAsync<(long Id, string Hash)?>(new CommandDefinition(
                "SELECT id, hash FROM audit_anchors WHERE tenant = @Tenant", new { anchor.Tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (current is null || anchor.Id > current.Value.Id)
            {
                var hash = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                    "SELECT hash FROM audit_records WHERE tenant = @Tenant AND id = @Id", new { anchor.Tenant, anchor.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                var after = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM audit_records WHERE tenant = @Tenant AND id > @Id LIMIT 1)", new { anchor.Tenant, anchor.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (!string.Equals(hash, anchor.Hash, StringComparison.Ordinal) || after == 0)
                {
                    throw new InvalidOperationException("The archive anchor must name a record of the chain, with its hash, that is not the chain's head.");
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO audit_anchors (tenant, id, hash, time, kid, signature) VALUES (@Tenant, @Id, @Hash, @Time, @Kid, @Signature)
                    ON CONFLICT (tenant) DO UPDATE SET id = excluded.id, hash = excluded.hash, time = excluded.time, kid = excluded.kid, signature = excluded.signature
                    """,
                    new { anchor.Tenant, anchor.Id, anchor.Hash, Time = AuditTime.ToText(anchor.Time), anchor.Kid, anchor.Signature },
                    transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            else if (anchor.Id < current.Value.Id || !string.Equals(anchor.Hash, current.Value.Hash, StringComparison.Ordinal))
            {
                throw new InvalidOperationException("The archive anchor only moves forward.");
            }

            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM audit_records WHERE tenant = @Tenant AND id IN (SELECT id FROM audit_records WHERE tenant = @Tenant AND id <= @Id ORDER BY id LIMIT @batchSize)",
                new { anchor.Tenant, anchor.Id, batchSize = (long)batchSize }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

            // The value-read blocks whose every id is at or below the anchor point at nothing left (a block the
            // anchor cuts through keeps its row: it may still hold reads above the anchor).
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM audit_value_blocks WHERE tenant = @Tenant AND block < @FirstKeptBlock",
                new { anchor.Tenant, FirstKeptBlock = (anchor.Id + 1) >> SqliteAuditStore.ValueBlockShift }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return deleted;
        }, cancellationToken);
    }
}
