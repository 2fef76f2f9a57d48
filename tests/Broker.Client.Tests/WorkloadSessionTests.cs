using Broker.Client.Internal;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Client.Tests;

/// <summary>The workload login session on its own: a counted fake login, a fake clock.</summary>
public sealed class WorkloadSessionTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero));
    private int _logins;
    private bool _fail;

    private Task<(string, TimeSpan)> LoginAsync(CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _logins);
        return _fail
            ? Task.FromException<(string, TimeSpan)>(new BrokerException("refused", 400, "invalid_grant"))
            : Task.FromResult(($"brk_access_{n}", TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public async Task LogsInOnce_ThenServesTheSameTokenUntilRenewalIsDue()
    {
        var session = new WorkloadSession(LoginAsync, _time);
        Assert.Equal("brk_access_1", await session.GetTokenAsync(default));
        _time.Advance(TimeSpan.FromMinutes(7));
        Assert.Equal("brk_access_1", await session.GetTokenAsync(default));
        Assert.Equal(1, _logins);
        Assert.Null(session.Renewal);
    }

    [Fact]
    public async Task AtEightyPercent_TheCurrentTokenIsServedWhileARenewalRunsInTheBackground()
    {
        var session = new WorkloadSession(LoginAsync, _time);
        await session.GetTokenAsync(default);
        _time.Advance(TimeSpan.FromMinutes(8));

        // No gap: the request that finds the renewal due goes out with the token that still works.
        Assert.Equal("brk_access_1", await session.GetTokenAsync(default));
        await session.Renewal!;
        Assert.Equal("brk_access_2", await session.GetTokenAsync(default));
        Assert.Equal(2, _logins);
    }

    [Fact]
    public async Task AFailedRenewal_KeepsTheLastGoodToken_AndRetriesOnlyAfterABackoff()
    {
        var session = new WorkloadSession(LoginAsync, _time);
        await session.GetTokenAsync(default);
        _time.Advance(TimeSpan.FromMinutes(8));
        _fail = true;
        Assert.Equal("brk_access_1", await session.GetTokenAsync(default));
        await session.Renewal!;
        Assert.Equal(2, _logins);

        // Within the backoff nobody tries again, and the last good token is still served.
        var renewal = session.Renewal;
        Assert.Equal("brk_access_1", await session.GetTokenAsync(default));
        Assert.Same(renewal, session.Renewal);
        Assert.Equal(2, _logins);

        _time.Advance(TimeSpan.FromSeconds(3));
        _fail = false;
        Assert.Equal("brk_access_1", await session.GetTokenAsync(default));
        await session.Renewal!;
        Assert.Equal("brk_access_3", await session.GetTokenAsync(default));
    }

    [Fact]
    public async Task WithoutAValidToken_TheLoginRunsInTheForeground_AndItsFailureIsThrown()
    {
        var session = new WorkloadSession(LoginAsync, _time);
        await session.GetTokenAsync(default);
        _time.Advance(TimeSpan.FromMinutes(10));
        _fail = true;
        var refused = await Assert.ThrowsAsync<BrokerException>(async () => await session.GetTokenAsync(default));
        Assert.Equal("invalid_grant", refused.ErrorCode);

        _fail = false;
        Assert.Equal("brk_access_3", await session.GetTokenAsync(default));
        session.Invalidate("brk_access_3");
        Assert.Equal("brk_access_4", await session.GetTokenAsync(default));
    }
}
