using Broker.Keys;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Keys.Tests;

public sealed class InMemoryUsageLimiterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 23, 59, 0, TimeSpan.Zero));

    [Fact]
    public async Task ParallelBurst_AdmitsExactlyTheLimit()
    {
        var limiter = new InMemoryUsageLimiter(_time);
        var admitted = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 10_000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            if ((await limiter.TryAcquireAsync("k", 777, null, ct)).IsAllowed)
            {
                Interlocked.Increment(ref admitted);
            }
        });
        Assert.Equal(777, admitted);
    }

    [Fact]
    public async Task RetryAfter_IsWhenTheOldestAdmissionLeavesTheWindow()
    {
        var limiter = new InMemoryUsageLimiter(_time);
        Assert.True((await limiter.TryAcquireAsync("k", 2, null)).IsAllowed);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True((await limiter.TryAcquireAsync("k", 2, null)).IsAllowed);
        var refused = await limiter.TryAcquireAsync("k", 2, null);
        Assert.Equal(UsageDecisionKind.RateLimited, refused.Kind);
        Assert.Equal(TimeSpan.FromSeconds(50), refused.RetryAfter);
        _time.Advance(refused.RetryAfter);
        Assert.True((await limiter.TryAcquireAsync("k", 2, null)).IsAllowed);
    }

    [Fact]
    public async Task Quota_CountsOnlyAdmittedUses_AndResetsAtUtcMidnight()
    {
        var limiter = new InMemoryUsageLimiter(_time);
        Assert.True((await limiter.TryAcquireAsync("k", 1, 2)).IsAllowed);
        Assert.Equal(UsageDecisionKind.RateLimited, (await limiter.TryAcquireAsync("k", 1, 2)).Kind); // not counted against the quota
        _time.Advance(TimeSpan.FromSeconds(59)); // 23:59:59: the first use is still inside the window
        Assert.Equal(UsageDecisionKind.RateLimited, (await limiter.TryAcquireAsync("k", 1, 2)).Kind);
        Assert.True((await limiter.TryAcquireAsync("k", null, 2)).IsAllowed);
        var exhausted = await limiter.TryAcquireAsync("k", null, 2);
        Assert.Equal(UsageDecisionKind.QuotaExceeded, exhausted.Kind);
        Assert.Equal(TimeSpan.FromSeconds(1), exhausted.RetryAfter); // 23:59:59 → midnight
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await limiter.TryAcquireAsync("k", null, 2)).IsAllowed);
    }

    [Fact]
    public async Task KeysAreCountedSeparately_AndNoLimitsMeansNoState()
    {
        var limiter = new InMemoryUsageLimiter(_time);
        Assert.True((await limiter.TryAcquireAsync("a", 1, null)).IsAllowed);
        Assert.True((await limiter.TryAcquireAsync("b", 1, null)).IsAllowed);
        Assert.False((await limiter.TryAcquireAsync("a", 1, null)).IsAllowed);
        for (var i = 0; i < 100; i++)
        {
            Assert.True((await limiter.TryAcquireAsync("free", null, null)).IsAllowed);
        }
    }
}
