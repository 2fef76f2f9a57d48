using Microsoft.Data.Sqlite;

namespace Broker.Audit.Tests;

/// <summary>A real SQLite file in a temp directory with the audit migration applied.</summary>
internal sealed class SqliteTestDatabase : IDisposable
{
    private readonly string _directory;

    public SqliteTestDatabase()
    {
        _directory = Path.Combine(Path.GetTempPath(), "broker-audit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        FilePath = Path.Combine(_directory, "broker.db");
        ConnectionString = new SqliteConnectionStringBuilder { DataSource = FilePath, Pooling = true }.ToString();
        var migration = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "migrations", "0003_audit.sql"));
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;" + migration;
        command.ExecuteNonQuery();
    }

    public string FilePath { get; }

    public string DirectoryPath => _directory;

    public string ConnectionString { get; }

    /// <summary>A separate connection, as an attacker with the file would have.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Runs raw SQL with the append-only triggers dropped, as someone with write access to the file could.</summary>
    public void Tamper(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            "DROP TRIGGER IF EXISTS tr_audit_records_no_update; DROP TRIGGER IF EXISTS tr_audit_records_no_delete; " + sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        using (var connection = new SqliteConnection(ConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
