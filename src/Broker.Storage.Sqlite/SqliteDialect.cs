using System.Data.Common;
using Broker.Storage;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Sqlite;

/// <summary>
/// SQLite under the shared stores. A write transaction is <c>BEGIN IMMEDIATE</c>: it takes the database's one write
/// lock up front (waiting out <c>busy_timeout</c>), which serialises every writer, so no row locks or lock keys are
/// needed. Text compares by bytes (BINARY collation), which is code-point order.
/// </summary>
internal sealed class SqliteDialect(Func<CancellationToken, Task<SqliteConnection>> open) : StoreDialect
{
    private const int SqliteConstraint = 19;

    public SqliteDialect(SqliteDatabase database)
        : this((database ?? throw new ArgumentNullException(nameof(database))).OpenAsync)
    {
    }

    public override string ForUpdate => "";

    // A ValueTask: Microsoft.Data.Sqlite opens synchronously underneath, so this wrapper allocates nothing.
    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await open(cancellationToken).ConfigureAwait(false);

    public override Task<DbTransaction> BeginWriteAsync(DbConnection connection, string? lockKey, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    // Deferred: a read transaction that never takes the write lock; WAL readers see one consistent state.
    public override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    public override string Ordinal(string column) => column;

    public override bool IsUniqueViolation(Exception exception) => exception is SqliteException { SqliteErrorCode: SqliteConstraint };

    /// <summary>
    /// secure_delete overwrote the freed pages in the database file, but the WAL still holds the pre-delete pages
    /// until a checkpoint: fold it into the file and truncate it, so the destroyed wrapped keys leave the disk now.
    /// Best effort: busy readers may defer it.
    /// </summary>
    public override async Task AfterDeleteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
