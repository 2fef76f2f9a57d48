using BenchmarkDotNet.Attributes;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Audit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Broker.Audit.Benchmarks;

/// <summary>
/// One audit append through the group-commit writer to a real SQLite file (WAL), awaited until durable, alone and
/// with 64 callers at once. <c>Synchronous</c>: FULL (fsync per commit, survives a machine crash) and NORMAL.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class AuditAppendBenchmarks
{
    private const int Concurrency = 64;

    private string _directory = string.Empty;
    private GroupCommitAuditLog _log = null!;
    private AuditEntry[] _entries = [];
    private int _n;

    [Params("FULL", "NORMAL")]
    public string Synchronous { get; set; } = "FULL";

    [GlobalSetup]
    public void Setup()
    {
        var database = BenchDatabase.Create("broker-audit-bench", out _directory);

        // FULL is what the broker runs (SqliteDatabase); NORMAL shows what the fsync costs.
        var store = Synchronous == "FULL"
            ? new SqliteAuditStore(database)
            : new SqliteAuditStore(async ct =>
            {
                var connection = await database.OpenAsync(ct);
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA synchronous = NORMAL;";
                await command.ExecuteNonQueryAsync(ct);
                return connection;
            });
        _log = new GroupCommitAuditLog(store, [], Options.Create(new AuditOptions()), TimeProvider.System);
        _entries = Enumerable.Range(0, Concurrency).Select(i => new AuditEntry(
            "tenant-" + (i % 4),
            new AuditActor("key-" + i, "agent-" + i, "agent"),
            AuditActions.CredentialRead,
            "db-password",
            AuditOutcomes.Allowed,
            null,
            "req-" + i,
            "10.0.0.1",
            "bench/1.0",
            new string('a', 64))).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "1 append, awaited until durable")]
    public ValueTask AppendOne() => _log.RecordAsync(_entries[_n++ & (Concurrency - 1)]);

    [Benchmark(Description = "64 concurrent appends (per append)", OperationsPerInvoke = Concurrency)]
    public Task Append64Concurrent()
    {
        var tasks = new Task[Concurrency];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = _log.RecordAsync(_entries[i]).AsTask();
        }

        return Task.WhenAll(tasks);
    }
}
