using System.Data.Common;

namespace Broker.Storage;

/// <summary>
/// What truly differs between the databases under the shared stores (<c>Sql*Store</c>): how a connection is opened
/// and what an unreachable database looks like, how
/// a write transaction is serialised and a snapshot read begun, how text is ordered byte-wise, what a duplicate key
/// looks like, and what must follow a delete. The SQL, its parameters and the mapping are written once, in the stores.
/// </summary>
public abstract class StoreDialect
{
    /// <summary>
    /// Text appended to a <c>SELECT</c> whose rows the transaction goes on to update, so a concurrent writer waits
    /// (empty where the write transaction already holds the whole database).
    /// </summary>
    public abstract string ForUpdate { get; }

    /// <summary>Opens a (pooled) connection, set up for the stores.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Whether <paramref name="exception"/>, thrown while opening or using a connection, means the database cannot be
    /// reached (not: a query or constraint error, or the caller's cancellation).
    /// </summary>
    public virtual bool IsUnavailable(Exception exception, CancellationToken cancellationToken) => false;

    /// <summary>What to throw instead of an exception for which <see cref="IsUnavailable"/> holds.</summary>
    public virtual Exception Unavailable(Exception exception) => exception;

    /// <summary>Runs <paramref name="work"/> on an open connection and closes it afterwards; an unreachable database throws <see cref="Unavailable"/>.</summary>
    public async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>
    /// Begins a transaction that reads, decides and writes. Writers of the same <paramref name="lockKey"/> are
    /// serialised until commit; with none, the rows the transaction selects <see cref="ForUpdate"/> are.
    /// </summary>
    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, string? lockKey, CancellationToken cancellationToken);

    /// <summary>Begins a read-only transaction whose reads all see one snapshot.</summary>
    public abstract Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// <paramref name="column"/> as an ORDER BY (or DISTINCT) expression that orders text by code point, as
    /// <see cref="StringComparer.Ordinal"/> does, whatever the database's collation.
    /// </summary>
    public abstract string Ordinal(string column);

    /// <summary>Whether <paramref name="exception"/> is a write refused by a primary key or unique constraint.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>Called after a committed delete of sealed values, on the same connection, to destroy what the database still keeps of them.</summary>
    public virtual Task AfterDeleteAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;
}
