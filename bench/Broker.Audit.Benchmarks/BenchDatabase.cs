using Broker.Storage.Sqlite;

namespace Broker.Audit.Benchmarks;

/// <summary>A fresh, migrated SQLite database in a directory of its own under the temp directory.</summary>
internal static class BenchDatabase
{
    public static SqliteDatabase Create(string name, out string directory)
    {
        directory = Path.Combine(Path.GetTempPath(), name, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var database = new SqliteDatabase(Path.Combine(directory, "broker.db"));
        SqliteMigrations.Apply(database);
        return database;
    }
}
