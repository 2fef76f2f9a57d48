using BenchmarkDotNet.Attributes;
using Broker.Credentials;
using Broker.Storage.Postgres;
using Broker.Storage.Postgres.Credentials;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Credentials;
using Broker.Vault;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Benchmarks;

/// <summary>
/// The hot read of every agent: <see cref="ICredentialStore.GetAsync"/> of one value among 1,000, on a real SQLite
/// file (WAL) and, when <c>BROKER_TEST_POSTGRES</c> is set, on PostgreSQL. Run before and after a change to the
/// stores: the SQLite figure is the one the read path must keep.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class CredentialReadBenchmarks
{
    private const string Tenant = "bench";
    private const int Count = 1000;

    private string _directory = string.Empty;
    private PostgresDatabase? _postgresDatabase;
    private ICredentialStore _store = null!;
    private string[] _names = [];
    private int _n;

    [Params("sqlite", "postgres")]
    public string Store { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup()
    {
        _store = Store == "sqlite" ? CreateSqlite() : CreatePostgres();
        _names = Enumerable.Range(0, Count).Select(i => "credential_" + i).ToArray();
        var sealer = new FixedSealer();
        foreach (var name in _names)
        {
            _store.WriteAsync(new CredentialWrite(Tenant, name, "", null, null, null, DateTimeOffset.UtcNow), sealer).GetAwaiter().GetResult();
        }
    }

    [Benchmark]
    public Task<CredentialRecord?> GetAsync() => _store.GetAsync(Tenant, _names[_n++ % Count], "");

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_postgresDatabase is not null)
        {
            using (var connection = _postgresDatabase.DataSource.OpenConnection())
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "DELETE FROM credential_versions WHERE tenant = 'bench'; DELETE FROM credentials WHERE tenant = 'bench'; DELETE FROM credential_changes WHERE tenant = 'bench'; DELETE FROM tenant_cursors WHERE tenant = 'bench'";
                command.ExecuteNonQuery();
            }

            _postgresDatabase.Dispose();
        }

        SqliteConnection.ClearAllPools();
        if (_directory.Length > 0)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private SqliteCredentialStore CreateSqlite()
    {
        _directory = Path.Combine(Path.GetTempPath(), "broker-storage-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var database = new SqliteDatabase(Path.Combine(_directory, "broker.db"));
        SqliteMigrations.Apply(database);
        return new SqliteCredentialStore(database);
    }

    private PostgresCredentialStore CreatePostgres()
    {
        var connectionString = Environment.GetEnvironmentVariable("BROKER_TEST_POSTGRES")
            ?? throw new InvalidOperationException("Set BROKER_TEST_POSTGRES to run the postgres case (or --filter the sqlite one).");
        _postgresDatabase = new PostgresDatabase(connectionString);
        PostgresMigrations.Apply(_postgresDatabase);
        return new PostgresCredentialStore(_postgresDatabase);
    }

    /// <summary>Seals a fixed 64-byte payload: the benchmark reads, it never decrypts.</summary>
    private sealed class FixedSealer : ICredentialValueSealer
    {
        public bool IsSameValue(CredentialRecord current) => false;

        public SealedValue Seal(int version) => new(new byte[64], new byte[60], "bench-kek");
    }
}
