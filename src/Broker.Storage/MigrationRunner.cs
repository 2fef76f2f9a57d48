using System.Data.Common;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Storage;

/// <summary>
/// Applies numbered SQL migrations in order, each in its own transaction, recorded in a journal with a
/// SHA-256 checksum. A migration that changed after it was applied stops the start with a clear message.
/// Shared by every store: the SQL and the journal DDL are the only per-database parts.
/// </summary>
public static class MigrationRunner
{
    public static IReadOnlyList<Migration> LoadEmbedded(Assembly assembly, string prefix)
    {
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var name = resource[prefix.Length..];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name.AsSpan(0, underscore), out var version))
            {
                throw new InvalidOperationException($"Migration '{name}' is not named NNNN_description.sql.");
            }

            migrations.Add(new Migration(version, name, reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
            {
                throw new InvalidOperationException($"Migrations '{migrations[i - 1].Name}' and '{migrations[i].Name}' share version {migrations[i].Version}.");
            }
        }

        return migrations;
    }

    /// <returns>The names of the migrations applied now.</returns>
    /// <param name="lockSql">
    /// Optional SQL run first in every transaction the runner opens (the journal's creation and each migration), to
    /// serialise several processes migrating one database at once (PostgreSQL: a transaction-scoped advisory lock).
    /// Under that lock the journal is read again, so a migration another process applied meanwhile is skipped.
    /// </param>
    public static IReadOnlyList<string> Apply(DbConnection connection, IReadOnlyList<Migration> migrations, string journalDdl, string? lockSql = null)
    {
        using (var create = connection.BeginTransaction())
        {
            if (lockSql is not null)
            {
                Execute(connection, create, lockSql);
            }

            Execute(connection, create, journalDdl);
            create.Commit();
        }

        var applied = ReadJournal(connection, null);
        var now = new List<string>();
        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Version, out var existing))
            {
                EnsureUnchanged(migration, existing.Checksum);
                continue;
            }

            using var transaction = connection.BeginTransaction();
            if (lockSql is not null)
            {
                Execute(connection, transaction, lockSql);
                if (ReadJournal(connection, transaction).TryGetValue(migration.Version, out var raced))
                {
                    EnsureUnchanged(migration, raced.Checksum);
                    transaction.Commit();
                    continue;
                }
            }

            Execute(connection, transaction, migration.Sql);
            using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@v, @n, @c, @a)";
                AddParameter(record, "@v", migration.Version);
                AddParameter(record, "@n", migration.Name);
                AddParameter(record, "@c", migration.Checksum);
                AddParameter(record, "@a", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                record.ExecuteNonQuery();
            }

            transaction.Commit();
            now.Add(migration.Name);
        }

        return now;
    }

    private static Dictionary<int, (string Name, string Checksum)> ReadJournal(DbConnection connection, DbTransaction? transaction)
    {
        var applied = new Dictionary<int, (string Name, string Checksum)>();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version, name, checksum FROM schema_migrations";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        }

        return applied;
    }

    private static void EnsureUnchanged(Migration migration, string recorded)
    {
        if (recorded != migration.Checksum)
        {
            throw new InvalidOperationException(
                $"Migration {migration.Version} ('{migration.Name}') was changed after it was applied to this database " +
                $"(checksum {recorded[..12]}… recorded, {migration.Checksum[..12]}… now). Restore the original file and add a new migration instead.");
        }
    }

    private static void Execute(DbConnection connection, DbTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

public sealed record Migration(int Version, string Name, string Sql)
{
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}
