using Broker.Audit;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Audit;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Tests;

/// <summary>
/// "Was this secret read?" on SQLite, through <c>audit_value_blocks</c> (migration 0013) instead of an index on the
/// records: reads spread over several blocks, the limit, a failed batch, retention and the migration's backfill.
/// </summary>
public sealed class SqliteAuditValueBlockTests : IDisposable
{
    private const string SqliteJournal = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string ValueA = new('a', 64);
    private static readonly string ValueB = new('b', 64);
    private readonly string _path = Path.Combine(Path.GetTempPath(), "broker-store-tests", Guid.NewGuid().ToString("n") + ".db");

    public SqliteAuditValueBlockTests() => Directory.CreateDirectory(Path.GetDirectoryName(_path)!);

    [Fact]
    public async Task ReadsInSeveralBlocks_AreFoundNewestFirst_UpToTheLimit_WithOneRowPerBlockAndValue()
    {
        var database = Migrated();
        using var store = new SqliteAuditStore(database);
        await AppendAsync(store, "t", 40_000, Hmac);

        var a = await store.FindByValueHmacAsync("t", ValueA, 10, CancellationToken.None);
        Assert.Equal([39_000L, 20_000L, 5L], a.Select(r => r.Id));
        Assert.All(a, r => Assert.Equal(ValueA, r.ValueHmac));
        Assert.Equal([39_000L, 20_000L], (await store.FindByValueHmacAsync("t", ValueA, 2, CancellationToken.None)).Select(r => r.Id));

        var b = await store.FindByValueHmacAsync("t", ValueB, 100, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 40).Reverse().Select(i => i * 1_000L).Where(id => id != 20_000 && id != 39_000), b.Select(r => r.Id));
        Assert.Empty(await store.FindByValueHmacAsync("other", ValueA, 10, CancellationToken.None));
        Assert.True((await new AuditVerifier(store).VerifyAsync("t")).Valid);

        // One row per block a value was read in (ids 1-16,383 are block 0), however often it was read there.
        using var connection = database.Open();
        Assert.Equal(3L, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_value_blocks WHERE value_hmac = @ValueA", new { ValueA }));
        Assert.Equal(3L, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_value_blocks WHERE value_hmac = @ValueB", new { ValueB }));
        Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ix_audit_records_tenant_value_hmac'"));
    }

    [Fact]
    public async Task AFailedBatch_LeavesNoRememberedBlock_SoTheNextBatchWritesIt()
    {
        using var store = new SqliteAuditStore(Migrated());
        var first = AuditRecord.Chain(Read("a", 1, null), AuditChainHead.Genesis, T0);
        await store.AppendAsync([first], CancellationToken.None);

        // Tenant b's read lands in the same transaction as a fork of tenant a's chain: both are rolled back. The block
        // rows are written before the records, so b's block was already remembered when the fork failed.
        var b1 = AuditRecord.Chain(Read("b", 1, ValueA), AuditChainHead.Genesis, T0);
        var fork = AuditRecord.Chain(Read("a", 1, null), AuditChainHead.Genesis, T0);
        await Assert.ThrowsAnyAsync<Exception>(() => store.AppendAsync([b1, fork], CancellationToken.None));
        Assert.Empty(await store.FindByValueHmacAsync("b", ValueA, 10, CancellationToken.None));

        await store.AppendAsync([b1], CancellationToken.None);
        Assert.Equal(1L, Assert.Single(await store.FindByValueHmacAsync("b", ValueA, 10, CancellationToken.None)).Id);

        // And a store that appends through pooled connections (no remembered blocks) writes them too.
        var pooled = new SqliteAuditStore(new SqliteDatabase(_path).OpenAsync);
        var b2 = AuditRecord.Chain(Read("b", 2, ValueA), b1.AsHead, T0);
        await pooled.AppendAsync([b2], CancellationToken.None);
        Assert.Equal([2L, 1L], (await pooled.FindByValueHmacAsync("b", ValueA, 10, CancellationToken.None)).Select(r => r.Id));
    }

    [Fact]
    public async Task Retention_DeletesTheBlocksWhollyAtOrBelowTheAnchor_AndKeepsTheOneItCuts()
    {
        var database = Migrated();
        using var store = new SqliteAuditStore(database);
        var records = await AppendAsync(store, "t", 40_000, Hmac);
        var retention = new SqliteAuditRetentionStore(database);

        // Ids up to 32,767 are blocks 0 and 1; the anchor at 35,000 cuts block 2 (32,768-49,151).
        var anchor = records[35_000 - 1];
        var deleted = await retention.PruneAsync(new AuditCheckpoint("t", anchor.Id, anchor.Hash, T0, "kid", "sig"), 100_000);

        Assert.Equal(35_000, deleted);
        using var connection = database.Open();
        Assert.Equal([2L], connection.Query<long>("SELECT block FROM audit_value_blocks WHERE tenant = 't' AND value_hmac = @ValueA", new { ValueA }));
        Assert.Equal([39_000L], (await store.FindByValueHmacAsync("t", ValueA, 10, CancellationToken.None)).Select(r => r.Id));
        Assert.Equal([40_000L, 38_000L, 37_000L, 36_000L], (await store.FindByValueHmacAsync("t", ValueB, 10, CancellationToken.None)).Select(r => r.Id));
    }

    [Fact]
    public async Task TheMigration_IndexesTheReadsRecordedBeforeIt()
    {
        var database = new SqliteDatabase(_path);
        using (var old = database.Open())
        {
            var before = MigrationRunner.LoadEmbedded(typeof(SqliteMigrations).Assembly, "migrations/sqlite/").Where(m => m.Version < 13).ToList();
            MigrationRunner.Apply(old, before, SqliteJournal);
            var head = AuditChainHead.Genesis;
            for (var id = 1; id <= 20_000; id += 1)
            {
                var r = AuditRecord.Chain(Read("t", id, Hmac(id)), head, T0);
                head = r.AsHead;
                if (r.ValueHmac is not null)
                {
                    old.Execute(
                        "INSERT INTO audit_records (tenant, id, time, action, target, outcome, request_id, value_hmac, prev_hash, hash) " +
                        "VALUES (@Tenant, @Id, @Time, @Action, @Target, @Outcome, @RequestId, @ValueHmac, @PrevHash, @Hash)",
                        new { r.Tenant, r.Id, Time = AuditTime.ToText(r.Time), r.Action, r.Target, r.Outcome, r.RequestId, r.ValueHmac, r.PrevHash, r.Hash });
                }
            }

            SqliteConnection.ClearPool(old);
        }

        Assert.Contains(SqliteMigrations.Apply(database), name => name.StartsWith("0013_", StringComparison.Ordinal));
        using var store = new SqliteAuditStore(database);
        Assert.Equal([20_000L, 5L], (await store.FindByValueHmacAsync("t", ValueA, 10, CancellationToken.None)).Select(r => r.Id));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }
    }

    // Value A at ids 5, 20,000 and 39,000; value B at every other multiple of 1,000; no value elsewhere.
    private static string? Hmac(int id) => id is 5 or 20_000 or 39_000 ? ValueA : id % 1_000 == 0 ? ValueB : null;

    private static AuditEntry Read(string tenant, int n, string? hmac) => new(
        tenant, new AuditActor("key-1", "agent", "agent"), AuditActions.CredentialRead, "db-" + n, AuditOutcomes.Allowed,
        null, "req-" + n, "10.0.0.1", null, hmac);

    private static async Task<List<AuditRecord>> AppendAsync(SqliteAuditStore store, string tenant, int count, Func<int, string?> hmac)
    {
        var all = new List<AuditRecord>(count);
        var head = AuditChainHead.Genesis;
        for (var start = 1; start <= count; start += 1_000)
        {
            var batch = new List<AuditRecord>();
            for (var id = start; id < start + 1_000 && id <= count; id++)
            {
                var r = AuditRecord.Chain(Read(tenant, id, hmac(id)), head, T0);
                head = r.AsHead;
                batch.Add(r);
            }

            await store.AppendAsync(batch, CancellationToken.None);
            all.AddRange(batch);
        }

        return all;
    }

    private SqliteDatabase Migrated()
    {
        var database = new SqliteDatabase(_path);
        SqliteMigrations.Apply(database);
        return database;
    }
}
