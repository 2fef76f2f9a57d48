using Broker.Audit;
using Broker.Storage.Audit;
using Dapper;
using Npgsql;

namespace Broker.Storage.Postgres.Audit;

/// <summary>
/// Retention on PostgreSQL: pruning calls <c>audit_prune</c> (migration 0013), a SECURITY DEFINER function of the owner
/// role that checks and moves the anchor and deletes at or below it, because the runtime role has no DELETE on
/// <c>audit_records</c>. The reads are the shared ones. Replicas take turns: a run holds a session advisory lock keyed by
/// the schema, and a replica that cannot take it skips its run.
/// </summary>
public sealed class PostgresAuditRetentionStore(PostgresDatabase database) : SqlAuditRetentionStore(new PostgresDialect(database))
{
    private const string LockKey = "hashtext('broker.audit.retention'), hashtext(current_schema())";

    public override async Task<IAsyncDisposable?> TryLeaseRunAsync(CancellationToken cancellationToken = default)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition($"SELECT pg_try_advisory_lock({LockKey})", cancellationToken: cancellationToken)).ConfigureAwait(false))
            {
                var lease = new Lease(connection);
                connection = null;
                return lease;
            }

            return null;
        }
        catch (Exception ex) when (PostgresDatabase.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw database.Unavailable(ex);
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

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

    /// <summary>The connection holding the advisory lock; disposing unlocks it (and closing the session would too).</summary>
    private sealed class Lease(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await connection.ExecuteAsync($"SELECT pg_advisory_unlock({LockKey})").ConfigureAwait(false);
            }
            catch (Exception ex) when (PostgresDatabase.IsUnavailable(ex))
            {
                // The session is gone, and its lock with it.
            }
            finally
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
