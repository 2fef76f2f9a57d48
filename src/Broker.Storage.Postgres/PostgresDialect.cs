using System.Data.Common;
using Broker.Storage;
using Dapper;
using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>
/// PostgreSQL under the shared stores. An unreachable server is a 503, fail closed, as in
/// <see cref="PostgresDatabase.RunAsync{T}"/>. A write of one value is serialised by a transaction-scoped advisory
/// lock on its key, so two replicas cannot both read version N and write N+1; a write without a key locks the rows it
/// selects (<c>FOR UPDATE</c>). Text is ordered by the "C" collation, the database's own may not be code-point order.
/// A deleted row's space is reclaimed at VACUUM (docs/replicas.md); there is nothing to do after a delete.
/// </summary>
internal sealed class PostgresDialect(PostgresDatabase database) : StoreDialect
{
    public override string ForUpdate => " FOR UPDATE";

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public override bool IsUnavailable(Exception exception, CancellationToken cancellationToken) =>
        PostgresDatabase.IsUnavailable(exception) && !cancellationToken.IsCancellationRequested;

    public override Exception Unavailable(Exception exception) => database.Unavailable(exception);

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, string? lockKey, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (lockKey is not null)
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "SELECT pg_advisory_xact_lock(hashtextextended(@lockKey, 0))", new { lockKey }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            catch
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return transaction;
    }

    // REPEATABLE READ: every statement of the transaction reads the snapshot taken by its first.
    public override async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);

    public override string Ordinal(string column) => column + " COLLATE \"C\"";

    public override bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
