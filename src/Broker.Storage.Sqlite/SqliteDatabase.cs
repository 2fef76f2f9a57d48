using Microsoft.Data.Sqlite;

namespace Broker.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Every connection gets synchronous=FULL (a 2xx survives a
/// machine crash), foreign keys, a busy timeout, and secure_delete (deleted ciphertext is overwritten, not
/// left in free pages).
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; " + ConnectionPragmas;
        command.ExecuteNonQuery();
        Initialized.AddOrUpdate(connection.Handle!, Marker);
        return connection;
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        // Pragmas are per physical connection: a pooled one reuses its native handle, already set up.
        if (!Initialized.TryGetValue(connection.Handle!, out _))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = ConnectionPragmas;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Initialized.AddOrUpdate(connection.Handle!, Marker);
        }

        return connection;
    }

    private const string ConnectionPragmas = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA secure_delete=ON;";
    private static readonly object Marker = new();
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Initialized = new();
}
