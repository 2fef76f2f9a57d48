using Broker.Audit;
using Broker.Storage.Audit;
using Dapper;
using Npgsql;

namespace Broker.Storage.Postgres.Audit;

/// <summary>
/// Retention on PostgreSQL: pruning calls <c>audit_prune</c> (migration 0013), a SECURITY DEFINER function of the owner
/// role that checks and moves the anchor and deletes at or below it, because the runtime role has no DELETE on
/// <c>audit_records</c>. The reads are the shared ones.
/// </summary>
public sealed class PostgresAuditRetentionStore(PostgresDatabase database) : SqlAuditRetentionStore(new PostgresDialect(database))
{
    public override async Task<int> PruneAsync(AuditCheckpoint anchor, int batchSize, CancellationToken cancellationToken = default)
    {
        ValidatePrune(anchor, batchSize);
        try
        {
            return await Dialect.RunAsync(connection => connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT audit_prune(@Tenant, @Id, @Hash, @Time, @Kid, @Signature, @batchSize)",
                new { anchor.Tenant, anchor.Id, anchor.Hash, Time = AuditTime.ToText(anchor.Time), anchor.Kid, anchor.Signature, batchSize },
                cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.RaiseException)
        {
            throw new InvalidOperationException(ex.MessageText, ex);
        }
    }
}
