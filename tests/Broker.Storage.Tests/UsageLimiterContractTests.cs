namespace Broker.Storage.Tests;

public sealed class UsageLimiterContractTests
{
    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task RateLimit_ParallelBurst_AdmitsExactlyN(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var decisions = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => Task.Run(() => stores.Limiter.TryAcquireAsync("k1", 25, null).AsTask())));
        Assert.Equal(25, decisions.Count(d => d.IsAllowed));
        var refused = decisions.First(d => !d.IsAllowed);
        Assert.Equal(Broker.Keys.UsageDecisionKind.RateLimited, refused.Kind);
        Assert.InRange(refused.RetryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        Assert.True((await stores.Limiter.TryAcquireAsync("k2", 25, null)).IsAllowed);
        Assert.True((await stores.Limiter.TryAcquireAsync("k1", null, null)).IsAllowed);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Quota_IsCountedPerDay(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await stores.Limiter.TryAcquireAsync("q", null, 3)).IsAllowed);
        }

        var refused = await stores.Limiter.TryAcquireAsync("q", null, 3);
        Assert.Equal(Broker.Keys.UsageDecisionKind.QuotaExceeded, refused.Kind);
        Assert.InRange(refused.RetryAfter, TimeSpan.Zero, TimeSpan.FromDays(1));
    }
}
