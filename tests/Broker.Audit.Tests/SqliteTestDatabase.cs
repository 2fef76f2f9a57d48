using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Audit;
using Microsoft.Data.Sqlite;

namespace Broker.Audit.Tests;

/// <summary>A real SQLite file in a temp directory, migrated by the broker's own runner (0003_audit included).</summary>
internal sealed class SqliteTestDatabase : IDisposable
{
    public SqliteTestDatabase()
    {
        DirectoryPath = Path.Combine(Path.GetTempPath(), "broker-audit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DirectoryPath);
        Database = new SqliteDatabase(Path.Combine(DirectoryPath, "broker.db"));
        SqliteMigrations.Apply(Database);
        ConnectionString = new SqliteConnectionStringBuilder { DataSource = Database.Path, Pooling = false }.ToString();
    }

    public string DirectoryPath { get; }

    public SqliteDatabase Database { get; }

    /// <summary>For a separate connection, as an attacker with the file would have.</summary>
    public string ConnectionString { get; }

    public SqliteAuditStore NewStore() => new(Database);

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
        // Pools are not cleared: clearing every pool races other tests' connections, and on Unix an open
        // handle does not stop the directory from being deleted.
        try
        {
            Directory.Delete(DirectoryPath, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
