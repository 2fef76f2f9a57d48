using Broker.Core;
using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>
/// The shared store: one <see cref="NpgsqlDataSource"/> (pooled; Npgsql reconnects on its own after a restart).
/// Every store call goes through <see cref="RunAsync{T}"/>, which turns "the database is not reachable" into
/// <see cref="BrokerOperationException"/> of kind Unavailable (503, fail closed) and clears the pool, so connections that
/// died with the server are not handed out again one failure at a time.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable, IDisposable
{
    public PostgresDatabase(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        ConnectionString = builder.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Clears the pool (its connections died with the server) and returns the 503 to throw instead of <paramref name="cause"/>.</summary>
    public BrokerOperationException Unavailable(Exception cause)
    {
        DataSource.Clear();
        return new BrokerOperationException(BrokerErrorKind.Unavailable, "The store is unavailable; the operation was not performed.", cause);
    }

    public Task RunAsync(Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await work(connection).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>The server is down, restarting, or the connection broke (not: a query or constraint error).</summary>
    public static bool IsUnavailable(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)                  // admin shutdown, crash shutdown, cannot connect now
            || pg.SqlState == "53300",                                                  // too many connections
        NpgsqlException => true,
        TimeoutException => true,
        System.Net.Sockets.SocketException => true,
        IOException => true,
        InvalidOperationException { InnerException: NpgsqlException } => true,
        _ => false,
    };

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    public void Dispose() => DataSource.Dispose();
}
