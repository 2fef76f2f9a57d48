using System.Net;
using Broker.Server.Security;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Server.Tests;

public sealed class AuthenticationFailureTrackerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("::1", "::1")]
    public void ClientOf_IsTheAddress_AnIPv6AddressAsIts64(string address, string client) =>
        Assert.Equal(client, AuthenticationFailureTracker.ClientOf(IPAddress.Parse(address)));

    [Fact]
    public void ClientOf_NoAddress_IsOneSharedClient() => Assert.Equal("unknown", AuthenticationFailureTracker.ClientOf(null));

    [Fact]
    public void Budget_CountsFailedLookups_ValidOnesAreGivenBack()
    {
        var tracker = Tracker(budget: 3);
        for (var i = 0; i < 10; i++)
        {
            // Valid keys found by lookups never spend the budget.
            Assert.True(tracker.TryReserveLookup("a", out var reservation, out _));
            tracker.ReleaseLookup("a", reservation);
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.True(tracker.TryReserveLookup("a", out var reservation, out _));
            Assert.Equal(i == 0, tracker.CountFailure("a", reservation));
        }

        Assert.False(tracker.TryReserveLookup("a", out _, out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);
        Assert.True(tracker.TryReserveLookup("b", out _, out _));
        _time.Advance(TimeSpan.FromSeconds(45));
        Assert.False(tracker.TryReserveLookup("a", out _, out retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(15), retryAfter);
        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.True(tracker.TryReserveLookup("a", out _, out _));
    }

    [Fact]
    public void Reservations_InFlight_CountAgainstTheBudget_SoParallelLookupsCannotOvershootIt()
    {
        var tracker = Tracker(budget: 5);
        var granted = 0;
        Parallel.For(0, 1000, i =>
        {
            if (tracker.TryReserveLookup("a", out _, out _))
            {
                Interlocked.Increment(ref granted);
            }
        });

        Assert.Equal(5, granted);
    }

    [Fact]
    public void Summaries_OnePerClientAndWindow_AndEndedClientsAreForgotten()
    {
        var tracker = Tracker(budget: 2);
        Assert.True(tracker.CountFailure("a", null));
        for (var i = 0; i < 4; i++)
        {
            Assert.False(tracker.CountFailure("a", null));
            tracker.TryReserveLookup("a", out _, out _);
        }

        Assert.True(tracker.CountFailure("b", null));
        Assert.Empty(tracker.Collect());
        Assert.Equal(2, tracker.TrackedClients);

        _time.Advance(TimeSpan.FromMinutes(1));
        var summary = Assert.Single(tracker.Collect());
        Assert.Equal(new AuthenticationFailureSummary("a", _time.GetUtcNow().AddMinutes(-1), 8, 4), summary);
        Assert.Equal("client=a count=8 throttled=4 since=2026-11-23T10:00:00Z", summary.Target);
        Assert.Equal(0, tracker.TrackedClients);
        Assert.Empty(tracker.Collect());
    }

    [Fact]
    public async Task AWindowFoundEndedByANewFailure_HandsItsSummaryOverAtOnce()
    {
        var tracker = Tracker(budget: 2);
        tracker.CountFailure("a", null);
        tracker.CountFailure("a", null);
        var ended = tracker.WaitForEndedAsync(CancellationToken.None);
        Assert.False(ended.IsCompleted);
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(tracker.CountFailure("a", null)); // the first of the new window
        await ended.WaitAsync(TimeSpan.FromSeconds(10));
        var summary = Assert.Single(tracker.Collect(sweep: false));
        Assert.Equal(1, summary.Count);
        Assert.Equal(1, tracker.TrackedClients);
    }

    [Fact]
    public void Addresses_BeyondTheCap_ShareOneOverflowBudget()
    {
        var tracker = Tracker(budget: 3, maxClients: 2);
        tracker.CountFailure("a", null);
        tracker.CountFailure("b", null);
        for (var i = 0; i < 1000; i++)
        {
            tracker.CountFailure("c" + i, null);
        }

        Assert.Equal(3, tracker.TrackedClients);
        Assert.False(tracker.TryReserveLookup("another", out _, out _));
        Assert.True(tracker.TryReserveLookup("a", out _, out _));

        _time.Advance(TimeSpan.FromMinutes(1));
        var overflow = Assert.Single(tracker.Collect(), s => s.Client == AuthenticationFailureTracker.OverflowClient);
        Assert.Equal(1000, overflow.Count);
        Assert.Equal(0, tracker.TrackedClients);
    }

    [Fact]
    public void Collect_AtShutdown_ReportsCurrentWindowsToo()
    {
        var tracker = Tracker(budget: 2);
        tracker.CountFailure("a", null);
        tracker.CountFailure("a", null);
        Assert.Empty(tracker.Collect());
        Assert.Equal(1, Assert.Single(tracker.Collect(all: true)).Count);
        Assert.Empty(tracker.Collect(all: true));
    }

    private AuthenticationFailureTracker Tracker(int budget, int maxClients = 100) =>
        new(Options.Create(new AuthenticationFailureOptions { FailureBudget = budget, Window = TimeSpan.FromMinutes(1), MaxTrackedClients = maxClients }), _time);
}
