using Broker.Storage.Sqlite.Audit;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Broker.Audit.Tests;

public sealed class GroupCommitAuditLogTests
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ManyConcurrentRecords_AllDurable_OneValidChainPerTenant_InOrder()
    {
        using var db = new SqliteTestDatabase();
        var store = db.NewStore();
        string[] tenants = ["alpha", "beta", "gamma"];
        const int producersPerTenant = 8;
        const int perProducer = 50;

        await using (var log = NewLog(store))
        {
            // Each producer records its own entries one after another (awaiting each), all producers at once.
            var producers = tenants.SelectMany(t => Enumerable.Range(0, producersPerTenant).Select(p => Task.Run(async () =>
            {
                for (var i = 0; i < perProducer; i++)
                {
                    await log.RecordAsync(Entries.Read(t, (p * 1000) + i));
                }
            })));
            await Task.WhenAll(producers);
        }

        var verifier = new AuditVerifier(store);
        foreach (var tenant in tenants)
        {
            Assert.Equal(new AuditVerification(true, producersPerTenant * perProducer, null), await verifier.VerifyAsync(tenant));
            var chain = await store.ReadChainAsync(tenant, 0, 10_000, CancellationToken.None);
            Assert.Equal(Enumerable.Range(1, producersPerTenant * perProducer).Select(i => (long)i), chain.Select(r => r.Id));
            Assert.All(chain, r => Assert.Equal(tenant, r.Tenant));
            // A producer's records land in the order it made them.
            foreach (var producer in chain.GroupBy(r => int.Parse(r.RequestId[4..]) / 1000))
            {
                var ns = producer.Select(r => int.Parse(r.RequestId[4..])).ToList();
                Assert.Equal(ns.Order(), ns);
            }
        }
    }

    [Fact]
    public async Task RecordsQueuedDuringACommit_ShareTheNextTransaction()
    {
        var store = new GatedAuditStore(new InMemoryAuditStore());
        await using var log = NewLog(store);
        var entered = store.Close();
        var first = log.RecordAsync(Entries.Read("t1", 0)).AsTask();
        await entered;

        var rest = Enumerable.Range(1, 100).Select(i => log.RecordAsync(Entries.Read(i % 2 == 0 ? "t1" : "t2", i)).AsTask()).ToList();
        Assert.All(rest, t => Assert.False(t.IsCompleted));
        store.Release();
        await first;
        await Task.WhenAll(rest);

        Assert.Equal([1, 100], store.BatchSizes);
    }

    [Fact]
    public async Task RecordManyAsync_SharesOneCommit()
    {
        var store = new GatedAuditStore(new InMemoryAuditStore());
        await using var log = NewLog(store);
        var entered = store.Close();
        var first = log.RecordAsync(Entries.Read("t1", 0)).AsTask();
        await entered;

        var many = ((IAuditLog)log).RecordManyAsync([.. Enumerable.Range(1, 10).Select(i => Entries.Read("t1", i))]).AsTask();
        store.Release();
        await Task.WhenAll(first, many);

        Assert.Equal([1, 10], store.BatchSizes);
    }

    [Fact]
    public async Task RecordAsync_CompletesOnlyAfterTheCommit()
    {
        var inner = new InMemoryAuditStore();
        var store = new GatedAuditStore(inner);
        await using var log = NewLog(store);
        var entered = store.Close();

        var pending = log.RecordAsync(Entries.Read("t1", 1)).AsTask();
        await entered;

        Assert.False(pending.IsCompleted);
        Assert.Empty(inner.All("t1"));
        store.Release();
        await pending;
        Assert.Single(inner.All("t1"));
    }

    [Fact]
    public async Task FailingStore_EveryWaiterOfTheBatchFails_AndTheChainStaysValidAfterRecovery()
    {
        var inner = new InMemoryAuditStore();
        var failing = false;
        var store = new Mock<IAuditStore>(MockBehavior.Strict);
        store.Setup(s => s.GetHeadAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string t, CancellationToken ct) => inner.GetHeadAsync(t, ct));
        store.Setup(s => s.AppendAsync(It.IsAny<IReadOnlyList<AuditRecord>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyList<AuditRecord> r, CancellationToken ct) =>
                failing ? Task.FromException(new IOException("disk full")) : inner.AppendAsync(r, ct));

        await using var log = NewLog(store.Object);
        for (var i = 1; i <= 3; i++)
        {
            await log.RecordAsync(Entries.Read("t1", i));
        }

        failing = true;
        var doomed = Enumerable.Range(10, 20).Select(i => log.RecordAsync(Entries.Read("t1", i)).AsTask()).ToList();
        foreach (var task in doomed)
        {
            var ex = await Assert.ThrowsAsync<AuditUnavailableException>(() => task);
            Assert.Equal(Broker.Core.BrokerErrorKind.Unavailable, ex.Kind);
        }

        failing = false;
        for (var i = 4; i <= 6; i++)
        {
            await log.RecordAsync(Entries.Read("t1", i));
        }

        Assert.Equal(new AuditVerification(true, 6, null), await new AuditVerifier(inner).VerifyAsync("t1"));
        Assert.Equal(["req-1", "req-2", "req-3", "req-4", "req-5", "req-6"], inner.All("t1").Select(r => r.RequestId));
        // After a failure the head was re-read from the store rather than trusted from memory.
        store.Verify(s => s.GetHeadAsync("t1", It.IsAny<CancellationToken>()), Times.AtLeast(2));
    }

    [Fact]
    public async Task StoreThatCommitsButReportsFailure_DoesNotForkTheChain()
    {
        var inner = new InMemoryAuditStore();
        var lieOnce = false;
        var store = new Mock<IAuditStore>(MockBehavior.Strict);
        store.Setup(s => s.GetHeadAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string t, CancellationToken ct) => inner.GetHeadAsync(t, ct));
        store.Setup(s => s.AppendAsync(It.IsAny<IReadOnlyList<AuditRecord>>(), It.IsAny<CancellationToken>()))
            .Returns(async (IReadOnlyList<AuditRecord> r, CancellationToken ct) =>
            {
                await inner.AppendAsync(r, ct);
                if (lieOnce)
                {
                    lieOnce = false;
                    throw new TimeoutException("commit acknowledgement lost");
                }
            });

        await using var log = NewLog(store.Object, o => o.AppendAttempts = 1);
        await log.RecordAsync(Entries.Read("t1", 1));
        lieOnce = true;
        await Assert.ThrowsAsync<AuditUnavailableException>(() => log.RecordAsync(Entries.Read("t1", 2)).AsTask());
        await log.RecordAsync(Entries.Read("t1", 3));

        Assert.Equal(new AuditVerification(true, 3, null), await new AuditVerifier(inner).VerifyAsync("t1"));
    }

    [Fact]
    public async Task AnotherWriterMovedTheHead_RetryRechainsOnTheStoredHead()
    {
        var inner = new InMemoryAuditStore();
        await using var log = NewLog(inner);
        await log.RecordAsync(Entries.Read("t1", 1));
        // Another replica appends behind this writer's back: its cached head is now stale.
        var head = await inner.GetHeadAsync("t1", CancellationToken.None);
        await inner.AppendAsync([AuditRecord.Chain(Entries.Read("t1", 2), head, Start)], CancellationToken.None);

        await log.RecordAsync(Entries.Read("t1", 3));

        Assert.Equal(new AuditVerification(true, 3, null), await new AuditVerifier(inner).VerifyAsync("t1"));
    }

    [Fact]
    public async Task CancelledWaiter_DoesNotDropACommittedRecord()
    {
        var inner = new InMemoryAuditStore();
        var store = new GatedAuditStore(inner);
        await using var log = NewLog(store);
        var entered = store.Close();
        using var cts = new CancellationTokenSource();

        var waiting = log.RecordAsync(Entries.Read("t1", 1), cts.Token).AsTask();
        await entered;
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        store.Release();
        await log.RecordAsync(Entries.Read("t1", 2));
        Assert.Equal(["req-1", "req-2"], inner.All("t1").Select(r => r.RequestId));
    }

    [Fact]
    public async Task AlreadyCancelledToken_RecordsNothing()
    {
        var inner = new InMemoryAuditStore();
        await using var log = NewLog(inner);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.RecordAsync(Entries.Read("t1", 1), new CancellationToken(true)).AsTask());
        await log.RecordAsync(Entries.Read("t1", 2));

        Assert.Equal(["req-2"], inner.All("t1").Select(r => r.RequestId));
    }

    [Fact]
    public async Task FullQueue_FailsClosedAfterTheEnqueueTimeout()
    {
        var time = new FakeTimeProvider(Start);
        var store = new GatedAuditStore(new InMemoryAuditStore());
        await using var log = NewLog(store, o => { o.QueueCapacity = 1; o.EnqueueTimeout = TimeSpan.FromSeconds(1); }, time);
        var entered = store.Close();
        var inFlight = log.RecordAsync(Entries.Read("t1", 1)).AsTask();
        await entered;
        var queued = log.RecordAsync(Entries.Read("t1", 2)).AsTask();

        var refused = log.RecordAsync(Entries.Read("t1", 3)).AsTask();
        Assert.False(refused.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAsync<AuditUnavailableException>(() => refused);
        store.Release();
        await inFlight;
        await queued;
    }

    [Fact]
    public async Task FullQueue_WithZeroTimeout_FailsAtOnce()
    {
        var store = new GatedAuditStore(new InMemoryAuditStore());
        await using var log = NewLog(store, o => { o.QueueCapacity = 1; o.EnqueueTimeout = TimeSpan.Zero; });
        var entered = store.Close();
        var inFlight = log.RecordAsync(Entries.Read("t1", 1)).AsTask();
        await entered;
        var queued = log.RecordAsync(Entries.Read("t1", 2)).AsTask();

        await Assert.ThrowsAsync<AuditUnavailableException>(() => log.RecordAsync(Entries.Read("t1", 3)).AsTask());
        store.Release();
        await Task.WhenAll(inFlight, queued);
    }

    [Fact]
    public async Task Stop_DrainsQueuedRecords_ThenRefusesNewOnes()
    {
        var inner = new InMemoryAuditStore();
        var store = new GatedAuditStore(inner);
        var log = NewLog(store);
        var entered = store.Close();
        var records = Enumerable.Range(1, 5).Select(i => log.RecordAsync(Entries.Read("t1", i)).AsTask()).ToList();
        await entered;

        var stopping = log.StopAsync();
        store.Release();
        await stopping;

        await Task.WhenAll(records);
        Assert.Equal(5, inner.All("t1").Count);
        await Assert.ThrowsAsync<AuditUnavailableException>(() => log.RecordAsync(Entries.Read("t1", 6)).AsTask());
        await log.DisposeAsync();
    }

    [Fact]
    public async Task Time_ComesFromTheTimeProvider_AndNeverGoesBackwards()
    {
        var time = new FakeTimeProvider(Start);
        var inner = new InMemoryAuditStore();
        await using var log = NewLog(inner, time: time);

        await log.RecordAsync(Entries.Read("t1", 1));
        time.AdjustTime(Start.AddMinutes(-5));
        await log.RecordAsync(Entries.Read("t1", 2));
        time.AdjustTime(Start.AddMinutes(1));
        await log.RecordAsync(Entries.Read("t1", 3));

        Assert.Equal([Start, Start, Start.AddMinutes(1)], inner.All("t1").Select(r => r.Time));
    }

    [Fact]
    public async Task RecordAsync_RejectsAValueWhereItsHmacBelongs()
    {
        await using var log = NewLog(new InMemoryAuditStore());

        Assert.Throws<ArgumentException>(() => { _ = log.RecordAsync(Entries.Read("t1", 1, valueHmac: "hunter2")); });
        Assert.Throws<ArgumentException>(() => { _ = log.RecordAsync(Entries.Read("", 1)); });
    }

    internal static GroupCommitAuditLog NewLog(
        IAuditStore store, Action<AuditOptions>? configure = null, TimeProvider? time = null, IEnumerable<IAuditSink>? sinks = null)
    {
        var options = new AuditOptions();
        configure?.Invoke(options);
        return new GroupCommitAuditLog(store, sinks ?? [], Options.Create(options), time ?? new FakeTimeProvider(Start));
    }
}
