using Broker.Audit;
using Broker.Core;

namespace Broker.Storage.Tests;

public sealed class AuditStoreContractTests
{
    private static AuditEntry Read(string tenant, int n, string? hmac = null) => new(
        tenant, new AuditActor("key-1", "agent", "agent"), AuditActions.CredentialRead, "db-" + n, AuditOutcomes.Allowed,
        null, "req-" + n, "10.0.0.1", null, hmac);

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Append_Read_Verify_PerTenantChains(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var store = stores.Audit;
        var t0 = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var a = AuditChainHead.Genesis;
        var b = AuditChainHead.Genesis;
        var batch = new List<AuditRecord>();
        for (var i = 1; i <= 5; i++)
        {
            var ra = AuditRecord.Chain(Read("a", i, i == 3 ? new string('c', 64) : null), a, t0.AddSeconds(i));
            var rb = AuditRecord.Chain(Read("b", i), b, t0.AddSeconds(i));
            batch.Add(ra);
            batch.Add(rb);
            a = ra.AsHead;
            b = rb.AsHead;
        }

        await store.AppendAsync(batch, CancellationToken.None);
        Assert.Equal(a, await store.GetHeadAsync("a", CancellationToken.None));
        Assert.Equal(AuditChainHead.Genesis, await store.GetHeadAsync("none", CancellationToken.None));
        Assert.Equal(batch.Where(r => r.Tenant == "a"), await store.ReadChainAsync("a", 0, 100, CancellationToken.None));
        Assert.Equal([4L, 5L], (await store.QueryAsync("a", t0.AddSeconds(4), null, 10, CancellationToken.None)).Select(r => r.Id));
        Assert.Equal(5, (await store.QueryAsync("a", null, AuditActions.CredentialRead, 10, CancellationToken.None)).Count);
        Assert.Empty(await store.QueryAsync("a", null, "other.action", 10, CancellationToken.None));
        Assert.Equal([5L, 4L], (await store.GetRecentByKeyAsync("b", "key-1", 2, CancellationToken.None)).Select(r => r.Id));
        Assert.Equal(3L, Assert.Single(await store.FindByValueHmacAsync("a", new string('c', 64), 10, CancellationToken.None)).Id);
        Assert.Empty(await store.FindByValueHmacAsync("b", new string('c', 64), 10, CancellationToken.None));
        Assert.True((await new AuditVerifier(store).VerifyAsync("a")).Valid);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Append_AtAPositionTaken_FailsWholeBatch(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var t0 = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var first = AuditRecord.Chain(Read("a", 1), AuditChainHead.Genesis, t0);
        await stores.Audit.AppendAsync([first], CancellationToken.None);

        // A second writer that chained on the same (stale) head: the chain must not fork, and nothing of its batch lands.
        var fork = AuditRecord.Chain(Read("a", 2), AuditChainHead.Genesis, t0);
        var other = AuditRecord.Chain(Read("b", 1), AuditChainHead.Genesis, t0);
        await Assert.ThrowsAnyAsync<Exception>(() => stores.Audit.AppendAsync([other, fork], CancellationToken.None));
        Assert.Equal(AuditChainHead.Genesis, await stores.Audit.GetHeadAsync("b", CancellationToken.None));
        Assert.Equal(first.AsHead, await stores.Audit.GetHeadAsync("a", CancellationToken.None));

        // The store is not left broken by the failed batch (SQLite drops its append connection and opens another).
        var second = AuditRecord.Chain(Read("a", 2), first.AsHead, t0);
        await stores.Audit.AppendAsync([second], CancellationToken.None);
        Assert.Equal(second.AsHead, await stores.Audit.GetHeadAsync("a", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task TwoGroupCommitWriters_OnOneStore_KeepOneValidChain(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var options = Microsoft.Extensions.Options.Options.Create(new AuditOptions { AppendAttempts = 50 });
        await using var one = new GroupCommitAuditLog(stores.Audit, [], options, TimeProvider.System);
        await using var two = new GroupCommitAuditLog(stores.Audit, [], options, TimeProvider.System);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? one : two).RecordAsync(Read(Tenants.Default, i)).AsTask()));
        var verification = await new AuditVerifier(stores.Audit).VerifyAsync(Tenants.Default);
        Assert.True(verification.Valid);
        Assert.Equal(200, verification.Count);
    }
}
