using System.Data.Common;
using Broker.Core;
using Broker.Keys;
using Broker.Storage.Postgres;
using Broker.Storage.Postgres.Keys;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Keys;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Tests;

/// <summary>
/// The migrations that add the verifyAs grant and the bootstrap bookkeeping (SQLite 0005, PostgreSQL 0006) and the mint
/// grants (SQLite 0006, PostgreSQL 0007), applied to
/// a store that already holds keys: what those keys can do afterwards.
/// </summary>
public sealed class GrantsMigrationTests
{
    private const string SqliteJournal = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";
    private const string PostgresJournal = "CREATE TABLE IF NOT EXISTS schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at bigint NOT NULL)";

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task KeysCreatedBeforeTheMigration_KeepWhatTheyCouldDo(string kind)
    {
        using var store = OldStore.Create(kind);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var agentSecret = KeySecrets.NewSecret();
        var bootstrapSecret = KeySecrets.NewSecret();
        var rotatedBootstrapSecret = KeySecrets.NewSecret();
        store.Insert("key_agent", "agent", false, now, KeySecrets.Hash(agentSecret), null);
        store.Insert("key_admin", "admin", false, now, KeySecrets.Hash(KeySecrets.NewSecret()), null);
        store.Insert("key_boot", "admin", true, now, KeySecrets.Hash(bootstrapSecret), null);

        // A bootstrap key rotated by the old code (it kept bootstrap status): its old secret is in its grace period.
        store.Insert("key_taken", "admin", true, now, KeySecrets.Hash(rotatedBootstrapSecret), now + 60_000);

        var keys = store.MigrateToLatest();

        var agent = (await keys.FindByHashAsync(KeySecrets.Hash(agentSecret)))!.Key;
        Assert.Equal(["*"], agent.VerifyAsPatterns);
        Assert.True(agent.ToCaller().MayVerifyAs("any-other-agent"));

        // Mint grants (0006/0007): an agent key keeps minting any token, any STS role for up to 12 hours, for any user,
        // written as explicit '*' grants; other roles have none.
        Assert.Equal(Core.Grants.AgentGrants.Legacy.Tokens!.Audiences, agent.Grants!.Tokens!.Audiences);
        Assert.Equal(["*"], agent.Grants.Tokens.Scopes);
        Assert.Equal(["*"], agent.Grants.Sts!.Roles!);
        Assert.Equal(43200, agent.Grants.Sts.MaxDurationSeconds);
        Assert.Equal(Core.Grants.SubjectsGrant.Any, agent.Grants.Subjects);
        Assert.Null(agent.Grants.Approval);
        Assert.Null((await keys.GetAsync("default", "key_admin"))!.Grants);
        Assert.Empty((await keys.GetAsync("default", "key_admin"))!.VerifyAsPatterns!);
        Assert.True((await keys.GetAsync("default", "key_boot"))!.IsBootstrap);
        Assert.False((await keys.GetAsync("default", "key_taken"))!.IsBootstrap);
    }

    /// <summary>A store at the schema just before the migration, filled through raw SQL as the old code wrote it.</summary>
    private abstract class OldStore : IDisposable
    {
        public static OldStore Create(string kind) => kind == "sqlite" ? new OldSqlite() : new OldPostgres();

        protected abstract DbConnection Connection { get; }

        public void Insert(string id, string role, bool bootstrap, long now, byte[] hash, long? secretExpiresAt)
        {
            Connection.Execute(
                """
                INSERT INTO api_keys (id, tenant, name, role, prefix, credential_patterns, agent_patterns, rate_limit_per_minute,
                                      quota_per_day, created_at, expires_at, revoked_at, last_used_at, is_bootstrap)
                VALUES (@id, 'default', @id, @role, 'brk_prefix12', '[]', '[]', NULL, NULL, @now, NULL, NULL, NULL, @bootstrap)
                """,
                new { id, role, now, bootstrap = Bootstrap(bootstrap) });
            Connection.Execute("INSERT INTO key_secrets (hash, key_id, expires_at) VALUES (@hash, @id, @secretExpiresAt)", new { hash, id, secretExpiresAt });
        }

        protected abstract object Bootstrap(bool value);

        public abstract IKeyStore MigrateToLatest();

        public abstract void Dispose();
    }

    private sealed class OldSqlite : OldStore
    {
        private readonly string _path = Path.Combine(Path.GetTempPath(), "broker-store-tests", Guid.NewGuid().ToString("n") + ".db");
        private readonly SqliteDatabase _database;
        private readonly SqliteConnection _connection;

        public OldSqlite()
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            _database = new SqliteDatabase(_path);
            _connection = _database.Open();
            var before = MigrationRunner.LoadEmbedded(typeof(SqliteMigrations).Assembly, "migrations/sqlite/").Where(m => m.Version < 5).ToList();
            MigrationRunner.Apply(_connection, before, SqliteJournal);
        }

        protected override DbConnection Connection => _connection;

        protected override object Bootstrap(bool value) => value ? 1 : 0;

        public override IKeyStore MigrateToLatest()
        {
            Assert.Contains(SqliteMigrations.Apply(_database), name => name.StartsWith("0005_", StringComparison.Ordinal));
            return new SqliteKeyStore(_database);
        }

        public override void Dispose()
        {
            SqliteConnection.ClearPool(_connection);
            _connection.Dispose();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(_path + suffix);
            }
        }
    }

    private sealed class OldPostgres : OldStore
    {
        private readonly string _schema;
        private readonly PostgresDatabase _database;
        private readonly DbConnection _connection;

        public OldPostgres()
        {
            var (connectionString, schema) = TestPostgres.CreateSchema();
            _schema = schema;
            _database = new PostgresDatabase(connectionString);
            _connection = _database.DataSource.OpenConnection();
            var before = MigrationRunner.LoadEmbedded(typeof(PostgresMigrations).Assembly, "migrations/postgres/").Where(m => m.Version < 6).ToList();
            MigrationRunner.Apply(_connection, before, PostgresJournal);
        }

        protected override DbConnection Connection => _connection;

        protected override object Bootstrap(bool value) => value;

        public override IKeyStore MigrateToLatest()
        {
            Assert.Contains(PostgresMigrations.Apply(_database), name => name.StartsWith("0006_", StringComparison.Ordinal));
            return new PostgresKeyStore(_database);
        }

        public override void Dispose()
        {
            _connection.Dispose();
            _database.Dispose();
            TestPostgres.DropSchema(_schema);
        }
    }
}
