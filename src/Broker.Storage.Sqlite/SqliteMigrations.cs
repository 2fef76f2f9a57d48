using Broker.Storage;

namespace Broker.Storage.Sqlite;

public static class SqliteMigrations
{
    private const string JournalDdl =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";

    public static IReadOnlyList<string> Apply(SqliteDatabase database)
    {
        using var connection = database.Open();
        return MigrationRunner.Apply(connection, MigrationRunner.LoadEmbedded(typeof(SqliteMigrations).Assembly, "migrations/sqlite/"), JournalDdl);
    }
}
