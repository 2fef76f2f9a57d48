using Broker.Storage.Sqlite.Audit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Audit.Tests;

/// <summary>Writes real chains to a SQLite file, tampers with the file through a separate connection, verifies.</summary>
public sealed class SqliteTamperTests : IDisposable
{
    private readonly SqliteTestDatabase _db = new();
    private readonly SqliteAuditStore _store;
    private readonly AuditVerifier _verifier;

    public SqliteTamperTests()
    {
        _store = _db.NewStore();
        _verifier = new AuditVerifier(_store);
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Verify_UntouchedChain_IsValid()
    {
        await WriteAsync("t1", 6);
        await WriteAsync("t2", 3);

        Assert.Equal(new AuditVerification(true, 6, null), await _verifier.VerifyAsync("t1"));
        Assert.Equal(new AuditVerification(true, 3, null), await _verifier.VerifyAsync("t2"));
        Assert.Equal(new AuditVerification(true, 0, null), await _verifier.VerifyAsync("nobody"));
    }

    [Fact]
    public async Task Verify_EditedRecord_BreaksAtThatRecord()
    {
        await WriteAsync("t1", 6);
        await WriteAsync("t2", 3);

        _db.Tamper("UPDATE audit_records SET outcome = 'denied' WHERE tenant = 't1' AND id = 4");

        Assert.Equal(new AuditVerification(false, 6, 4), await _verifier.VerifyAsync("t1"));
        Assert.True((await _verifier.VerifyAsync("t2")).Valid);
    }

    [Fact]
    public async Task Verify_EditedTime_BreaksAtThatRecord()
    {
        await WriteAsync("t1", 3);

        _db.Tamper("UPDATE audit_records SET time = '2020-01-01T00:00:00Z' WHERE tenant = 't1' AND id = 2");

        Assert.Equal(new AuditVerification(false, 3, 2), await _verifier.VerifyAsync("t1"));
    }

    [Fact]
    public async Task Verify_EditedAndRehashedRecord_BreaksAtItsSuccessor()
    {
        var records = await WriteAsync("t1", 5);
        var forged = records[2] with { Target = "something-else" };
        forged = forged with { Hash = AuditChain.ComputeHash(forged) };

        _db.Tamper($"UPDATE audit_records SET target = 'something-else', hash = '{forged.Hash}' WHERE tenant = 't1' AND id = 3");

        Assert.Equal(new AuditVerification(false, 5, 4), await _verifier.VerifyAsync("t1"));
    }

    [Fact]
    public async Task Verify_DeletedRecord_BreaksAtTheRecordMissingItsPredecessor()
    {
        await WriteAsync("t1", 6);

        _db.Tamper("DELETE FROM audit_records WHERE tenant = 't1' AND id = 3");

        Assert.Equal(new AuditVerification(false, 5, 4), await _verifier.VerifyAsync("t1"));
    }

    [Fact]
    public async Task Verify_DeletedFirstRecord_BreaksAtTheNewFirst()
    {
        await WriteAsync("t1", 3);

        _db.Tamper("DELETE FROM audit_records WHERE tenant = 't1' AND id = 1");

        Assert.Equal(new AuditVerification(false, 2, 2), await _verifier.VerifyAsync("t1"));
    }

    [Fact]
    public async Task Verify_ReorderedPair_BreaksAtTheFirstOfThePair()
    {
        await WriteAsync("t1", 6);

        // Swap the positions of records 3 and 4.
        _db.Tamper(
            "UPDATE audit_records SET id = -4 WHERE tenant = 't1' AND id = 4; " +
            "UPDATE audit_records SET id = 4 WHERE tenant = 't1' AND id = 3; " +
            "UPDATE audit_records SET id = 3 WHERE tenant = 't1' AND id = -4;");

        Assert.Equal(new AuditVerification(false, 6, 3), await _verifier.VerifyAsync("t1"));
    }

    [Fact]
    public async Task Verify_RecordMovedBelowIdOne_IsStillReadAndFails()
    {
        await WriteAsync("t1", 3);

        _db.Tamper("UPDATE audit_records SET id = -1 WHERE tenant = 't1' AND id = 1");

        Assert.Equal(new AuditVerification(false, 3, -1), await _verifier.VerifyAsync("t1"));
    }

    [Fact]
    public async Task Verify_LongChain_PagesThroughEveryRecord()
    {
        await WriteAsync("t1", 2_345);

        Assert.Equal(new AuditVerification(true, 2_345, null), await _verifier.VerifyAsync("t1"));

        _db.Tamper("UPDATE audit_records SET reason = 'x' WHERE tenant = 't1' AND id = 2001");
        Assert.Equal(new AuditVerification(false, 2_345, 2001), await _verifier.VerifyAsync("t1"));
    }

    [Fact]
    public async Task Triggers_RefuseUpdateAndDelete_ThroughTheNormalPath()
    {
        await WriteAsync("t1", 2);
        using var connection = _db.Open();
        using var update = connection.CreateCommand();
        update.CommandText = "UPDATE audit_records SET outcome = 'denied' WHERE tenant = 't1'";
        using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM audit_records WHERE tenant = 't1'";

        Assert.Throws<SqliteException>(() => update.ExecuteNonQuery());
        Assert.Throws<SqliteException>(() => delete.ExecuteNonQuery());
        Assert.True((await _verifier.VerifyAsync("t1")).Valid);
    }

    [Fact]
    public async Task Append_DuplicateId_IsRefused_SoAChainCannotFork()
    {
        var records = await WriteAsync("t1", 2);
        var fork = AuditRecord.Chain(Entries.Read("t1", 99), records[0].AsHead, DateTimeOffset.UnixEpoch);

        await Assert.ThrowsAsync<SqliteException>(() => _store.AppendAsync([fork], CancellationToken.None));
        Assert.True((await _verifier.VerifyAsync("t1")).Valid);
    }

    [Fact]
    public async Task Append_FailingBatch_WritesNothing()
    {
        var records = await WriteAsync("t1", 1);
        var good = AuditRecord.Chain(Entries.Read("t1", 2), records[0].AsHead, DateTimeOffset.UnixEpoch);
        var duplicate = AuditRecord.Chain(Entries.Read("t1", 3), records[0].AsHead, DateTimeOffset.UnixEpoch);

        await Assert.ThrowsAsync<SqliteException>(() => _store.AppendAsync([good, duplicate], CancellationToken.None));

        Assert.Equal(1, (await _store.GetHeadAsync("t1", CancellationToken.None)).Id);
    }

    [Fact]
    public async Task Queries_FilterAndOrder()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using (var log = NewLog(time))
        {
            await log.RecordAsync(Entries.Read("t1", 1, keyId: "k1", valueHmac: new string('a', 64)));
            time.Advance(TimeSpan.FromMinutes(1));
            await log.RecordAsync(Entries.Denied("t1", 2));
            time.Advance(TimeSpan.FromMinutes(1));
            await log.RecordAsync(Entries.Read("t1", 3, keyId: "k1"));
            await log.RecordAsync(Entries.Read("t1", 4, keyId: "k2", valueHmac: new string('a', 64)));
            await log.RecordAsync(Entries.Read("t2", 5, keyId: "k1", valueHmac: new string('a', 64)));
        }

        var queries = new AuditQueries(_store);
        var all = await queries.ListAsync("t1", null, null, null);
        var since = await queries.ListAsync("t1", new DateTimeOffset(2025, 1, 1, 0, 1, 0, TimeSpan.Zero), null, 10);
        var denied = await queries.ListAsync("t1", null, AuditActions.RequestDenied, 10);
        var firstTwo = await queries.ListAsync("t1", null, null, 2);
        var byKey = await queries.RecentByKeyAsync("t1", "k1", 10);
        var byHmac = await queries.FindByValueHmacAsync("t1", new string('a', 64), 10);

        Assert.Equal([1L, 2, 3, 4], all.Select(r => r.Id));
        Assert.Equal([2L, 3, 4], since.Select(r => r.Id));
        Assert.Equal([2L], denied.Select(r => r.Id));
        Assert.Equal([1L, 2], firstTwo.Select(r => r.Id));
        Assert.Equal([3L, 1], byKey.Select(r => r.Id));
        Assert.Equal([4L, 1], byHmac.Select(r => r.Id));
        Assert.All(all, r => Assert.Equal("t1", r.Tenant));
        Assert.Equal(AuditActor.Anonymous, all[1].Actor);
        Assert.Equal("unauthenticated", all[1].Reason);
        Assert.Throws<Broker.Core.ValidationException>(() => { _ = queries.ListAsync("t1", null, null, 1001); });
    }

    private GroupCommitAuditLog NewLog(TimeProvider? time = null) =>
        new(_store, [], Options.Create(new AuditOptions()), time ?? new FakeTimeProvider(DateTimeOffset.UnixEpoch));

    private async Task<IReadOnlyList<AuditRecord>> WriteAsync(string tenant, int count)
    {
        await using (var log = NewLog())
        {
            await Task.WhenAll(Enumerable.Range(1, count).Select(i => log.RecordAsync(Entries.Read(tenant, i)).AsTask()));
        }

        return await _store.ReadChainAsync(tenant, 0, 10_000, CancellationToken.None);
    }
}
