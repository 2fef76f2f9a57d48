using Broker.Storage;
using Npgsql;

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
        return Apply(connection);
    }

    /// <summary>
    /// Two roles: applies the migrations as the owner (<paramref name="ownerConnectionString"/>, the role that owns the
    /// schema and its tables), then grants the runtime role (the user of <paramref name="runtimeConnectionString"/>)
    /// what the broker needs in the owner's current schema: SELECT, INSERT, UPDATE, DELETE on every table, except that
    /// the audit trail (<c>audit_records</c>, <c>audit_checkpoints</c>) is INSERT and SELECT only (no UPDATE, DELETE or
    /// TRUNCATE), <c>audit_anchors</c> SELECT only (it moves, and records below it are deleted, only through the
    /// owner's <c>audit_prune</c> function, which the role may execute) and <c>schema_migrations</c> SELECT only. Re-granted at every start, so a new table is covered.
    /// </summary>
    /// <exception cref="InvalidOperationException">The runtime connection string names no user, or the same user as the owner's.</exception>
    public static IReadOnlyList<string> ApplyAsOwner(string ownerConnectionString, string runtimeConnectionString)
    {
        var owner = new NpgsqlConnectionStringBuilder(ownerConnectionString);
        var runtime = new NpgsqlConnectionStringBuilder(runtimeConnectionString).Username;
        if (string.IsNullOrEmpty(runtime) || string.Equals(runtime, owner.Username, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:BrokerOwner is set, so ConnectionStrings:Broker must name another user (the runtime role) than the owner's.");
        }

        using var connection = new NpgsqlConnection(owner.ConnectionString);
        connection.Open();
        var applied = Apply(connection);
        using var transaction = connection.BeginTransaction();
        using (var command = new NpgsqlCommand(LockSql, connection, transaction))
        {
            command.ExecuteNonQuery();
            command.CommandText = "SELECT current_schema()";
            var schema = Quote(command.ExecuteScalar() as string ?? throw new InvalidOperationException("The owner connection has no current schema (search_path)."));
            var role = Quote(runtime);
            command.CommandText = $"""
                GRANT USAGE ON SCHEMA {schema} TO {role};
                GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
                GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
                REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.audit_records, {schema}.audit_checkpoints FROM {role};
                REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.schema_migrations FROM {role};
                REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.audit_anchors FROM {role};
                REVOKE DELETE, TRUNCATE ON {schema}.audit_sealed_keys FROM {role};
                GRANT EXECUTE ON FUNCTION {schema}.audit_prune(text, bigint, text, text, text, text, integer) TO {role};
                """;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
        return applied;
    }

    private static IReadOnlyList<string> Apply(NpgsqlConnection connection) =>
        MigrationRunner.Apply(connection, MigrationRunner.LoadEmbedded(typeof(PostgresMigrations).Assembly, "migrations/postgres/"), JournalDdl, LockSql);

    // Identifiers come from the operator's configuration; quoted so that any role or schema name is taken literally.
    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
