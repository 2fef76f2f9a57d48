using Microsoft.Data.Sqlite;

namespace Broker.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Every connection gets synchronous=FULL (a 2xx survives a
/// machine crash), foreign keys, a busy timeout, and secure_delete (deleted ciphertext is overwritten, not
/// left in free pages). The file is created owner-only (0600), and SQLite gives its -wal and -shm files the mode
/// of the database file, so none of the three is ever readable by another user.
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

    /// <summary>
    /// A connection of its own, outside the pool, configured like every other: for a single owner that keeps it (and
    /// its prepared statements) for its whole life, such as the audit writer. The caller disposes it.
    /// </summary>
    public SqliteConnection OpenDedicated()
    {
        EnsureFile();
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL; " + ConnectionPragmas;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public SqliteConnection Open()
    {
        EnsureFile();
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
        EnsureFile();
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

    /// <summary>
    /// Creates the database file, empty and owner-only, before SQLite would create it with 0644 (less the umask). An
    /// empty file is a valid empty database.
    /// </summary>
    private void EnsureFile()
    {
        if (_fileChecked || OperatingSystem.IsWindows())
        {
            return;
        }

        if (!File.Exists(Path))
        {
            try
            {
                using var created = new FileStream(Path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (DirectoryNotFoundException)
            {
                // SQLite reports the missing directory in its own words when it opens.
                return;
            }
            catch (IOException) when (File.Exists(Path))
            {
                // Another connection created it first.
            }
        }

        _fileChecked = true;
    }

    private volatile bool _fileChecked;

    private const string ConnectionPragmas = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA secure_delete=ON;";
    private static readonly object Marker = new();
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Initialized = new();
}
