using Broker.Audit;
using Broker.Credentials;
using Broker.Identity;
using Broker.Keys;
using Broker.Minting.Signing;
using Broker.Storage.Postgres;
using Broker.Storage.Postgres.Audit;
using Broker.Storage.Postgres.Credentials;
using Broker.Storage.Postgres.Keys;
using Broker.Storage.Postgres.Identity;
using Broker.Storage.Postgres.SigningKeys;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Audit;
using Broker.Storage.Sqlite.Identity;
using Broker.Storage.Sqlite.SigningKeys;
using Broker.Storage.Sqlite.Credentials;
using Broker.Storage.Sqlite.Keys;
using Broker.Vault;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Tests;

/// <summary>
/// The stores under test: every contract test is a theory over these names, so one suite runs against each
/// database (a new database adds a case here, not a copy of the tests). "postgres" comes from
/// <see cref="PostgresStoreAttribute"/> next to this data, so that it can be skipped (loudly) without a server.
/// </summary>
public static class StoreKinds
{
    public static TheoryData<string> All
    {
        get
        {
            var data = new TheoryData<string> { "sqlite" };
            return data;
        }
    }

    public static TestStores Create(string kind) => kind switch
    {
        "sqlite" => SqliteStores.Create(),
        "postgres" => PostgresStores.Create(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown store"),
    };
}

public abstract class TestStores : IDisposable
{
    public abstract ICredentialStore Credentials { get; }

    public abstract IKeyStore Keys { get; }

    public abstract IVaultCanaryStore Canary { get; }

    public abstract IAuditStore Audit { get; }

    public abstract ISigningKeyStore SigningKeys { get; }

    public abstract ITrustedIssuerStore TrustedIssuers { get; }

    public abstract IWorkloadProfileStore WorkloadProfiles { get; }

    /// <summary>The audit keys, sealed keys and checkpoints (one store per database).</summary>
    public abstract Broker.Storage.Audit.SqlAuditProofStore AuditProof { get; }

    /// <summary>The limiter this store's composition uses (SQLite: in memory, one process; PostgreSQL: shared).</summary>
    public abstract IUsageLimiter Limiter { get; }

    /// <summary>Runs SQL against the store directly, as someone with access to the database could (a test of what the broker then does).</summary>
    public abstract Task<int> ExecuteAsync(string sql, object? parameters = null);

    public abstract void Dispose();
}

internal sealed class PostgresStores : TestStores
{
    private readonly PostgresDatabase _database;
    private readonly string _schema;

    private PostgresStores(string connectionString, string schema)
    {
        _schema = schema;
        _database = new PostgresDatabase(connectionString);
        PostgresMigrations.Apply(_database);
        Credentials = new PostgresCredentialStore(_database);
        Keys = new PostgresKeyStore(_database);
        Canary = new PostgresVaultCanaryStore(_database);
        Audit = new PostgresAuditStore(_database);
        SigningKeys = new PostgresSigningKeyStore(_database);
        TrustedIssuers = new PostgresTrustedIssuerStore(_database);
        WorkloadProfiles = new PostgresWorkloadProfileStore(_database);
        AuditProof = new PostgresAuditProofStore(_database);
        Limiter = new PostgresUsageLimiter(_database);
    }

    public PostgresDatabase Database => _database;

    public override Task<int> ExecuteAsync(string sql, object? parameters = null) =>
        _database.RunAsync(connection => Dapper.SqlMapper.ExecuteAsync(connection, sql, parameters), CancellationToken.None);

    public override ICredentialStore Credentials { get; }

    public override IKeyStore Keys { get; }

    public override IVaultCanaryStore Canary { get; }

    public override IAuditStore Audit { get; }

    public override ISigningKeyStore SigningKeys { get; }

    public override ITrustedIssuerStore TrustedIssuers { get; }

    public override IWorkloadProfileStore WorkloadProfiles { get; }

    public override Broker.Storage.Audit.SqlAuditProofStore AuditProof { get; }

    public override IUsageLimiter Limiter { get; }

    public static PostgresStores Create()
    {
        var (connectionString, schema) = TestPostgres.CreateSchema();
        return new PostgresStores(connectionString, schema);
    }

    public override void Dispose()
    {
        _database.Dispose();
        TestPostgres.DropSchema(_schema);
    }
}

internal sealed class SqliteStores : TestStores
{
    private readonly string _path;

    private SqliteStores(string path)
    {
        _path = path;
        var database = new SqliteDatabase(path);
        SqliteMigrations.Apply(database);
        Credentials = new SqliteCredentialStore(database);
        Keys = new SqliteKeyStore(database);
        Canary = new SqliteVaultCanaryStore(database);
        Audit = new SqliteAuditStore(database);
        SigningKeys = new SqliteSigningKeyStore(database);
        TrustedIssuers = new SqliteTrustedIssuerStore(database);
        WorkloadProfiles = new SqliteWorkloadProfileStore(database);
        AuditProof = new SqliteAuditProofStore(database);
        Limiter = new InMemoryUsageLimiter(TimeProvider.System);
    }

    public override ICredentialStore Credentials { get; }

    public override IKeyStore Keys { get; }

    public override IVaultCanaryStore Canary { get; }

    public override IAuditStore Audit { get; }

    public override ISigningKeyStore SigningKeys { get; }

    public override ITrustedIssuerStore TrustedIssuers { get; }

    public override IWorkloadProfileStore WorkloadProfiles { get; }

    public override Broker.Storage.Audit.SqlAuditProofStore AuditProof { get; }

    public override IUsageLimiter Limiter { get; }

    /// <summary>The database file (a test that scans it for what must never be stored in the clear).</summary>
    public string DatabasePath => _path;

    public override async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await new SqliteDatabase(_path).OpenAsync();
        return await Dapper.SqlMapper.ExecuteAsync(connection, sql, parameters);
    }

    public static SqliteStores Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "broker-store-tests");
        Directory.CreateDirectory(dir);
        return new SqliteStores(Path.Combine(dir, Guid.NewGuid().ToString("n") + ".db"));
    }

    public override void Dispose()
    {
        // The audit store keeps a connection of its own (outside the pool) for its appends.
        ((IDisposable)Audit).Dispose();
        using (var connection = new SqliteDatabase(_path).Open())
        {
            SqliteConnection.ClearPool(connection);
        }

        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }
    }
}
