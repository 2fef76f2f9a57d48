using Broker.Storage;

namespace Broker.Storage.Postgres;

public static class PostgresMigrations
{
    private const string JournalDdl =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at bigint NOT NULL)";

    // Two replicas starting together: each transaction of the runner first takes this lock (released at commit),
    // and re-reads the journal under it. The number is arbitrary but fixed ("broker" in ASCII, 0x62726F6B6572).
    private const string LockSql = "SELECT pg_advisory_xact_lock(108243635103090)";

    public static IReadOnlyList<string> Apply(PostgresDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        using var connection = database.DataSource.OpenConnection();
        return MigrationRunner.Apply(connection, MigrationRunner.LoadEmbedded(typeof(PostgresMigrations).Assembly, "migrations/postgres/"), JournalDdl, LockSql);
    }
}
