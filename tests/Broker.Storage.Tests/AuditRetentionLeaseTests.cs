using Broker.Storage.Postgres.Audit;

namespace Broker.Storage.Tests;

/// <summary>Replicas sharing a PostgreSQL store take turns at retention, so that no range is archived twice.</summary>
public sealed class AuditRetentionLeaseTests
{
    [Theory]
    [PostgresStore]
    public async Task OnPostgres_OneReplicaAtATime_HoldsTheRetentionLease(string kind)
    {
        using var stores = (PostgresStores)StoreKinds.Create(kind);
        var replicaA = new PostgresAuditRetentionStore(stores.Database);
        var replicaB = new PostgresAuditRetentionStore(stores.Database);

        var first = await replicaA.TryLeaseRunAsync();
        Assert.NotNull(first);
        Assert.Null(await replicaB.TryLeaseRunAsync());
        Assert.Null(await replicaA.TryLeaseRunAsync());

        await first.DisposeAsync();
        var next = await replicaB.TryLeaseRunAsync();
        Assert.NotNull(next);
        await next.DisposeAsync();
    }

    [Theory]
    [PostgresStore]
    public async Task OnPostgres_TheLeaseIsPerSchema_SoTwoBrokersOnOneServerDoNotWaitForEachOther(string kind)
    {
        using var one = (PostgresStores)StoreKinds.Create(kind);
        using var other = (PostgresStores)StoreKinds.Create(kind);

        await using var a = await new PostgresAuditRetentionStore(one.Database).TryLeaseRunAsync();
        await using var b = await new PostgresAuditRetentionStore(other.Database).TryLeaseRunAsync();

        Assert.NotNull(a);
        Assert.NotNull(b);
    }
}
