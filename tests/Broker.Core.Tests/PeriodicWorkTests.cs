using Microsoft.Extensions.Time.Testing;

namespace Broker.Core.Tests;

public sealed class PeriodicWorkTests
{
    [Fact]
    public async Task EveryTick_RunsAPass_AFailedPassIsReported_AndTheNextTickRunsAgain_UntilStopped()
    {
        var time = new FakeTimeProvider();
        using var stop = new CancellationTokenSource();
        var passes = 0;
        var failures = new List<Exception>();
        var ran = new SemaphoreSlim(0);
        var loop = PeriodicWork.RunAsync(
            TimeSpan.FromMinutes(1),
            time,
            _ =>
            {
                passes++;
                ran.Release();
                return passes == 1 ? Task.FromException(new InvalidOperationException("store down")) : Task.CompletedTask;
            },
            failures.Add,
            stop.Token);

        Assert.Equal(0, passes);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await ran.WaitAsync(TimeSpan.FromSeconds(10)));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await ran.WaitAsync(TimeSpan.FromSeconds(10)));

        stop.Cancel();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, passes);
        Assert.IsType<InvalidOperationException>(Assert.Single(failures));
    }

    [Fact]
    public async Task APassCancelledByItsOwnTimeout_IsAFailure_NotTheEndOfTheLoop()
    {
        var time = new FakeTimeProvider();
        using var stop = new CancellationTokenSource();
        var passes = 0;
        var failures = new List<Exception>();
        var ran = new SemaphoreSlim(0);
        var loop = PeriodicWork.RunAsync(
            TimeSpan.FromMinutes(1),
            time,
            _ =>
            {
                passes++;
                ran.Release();

                // What an HTTP call that timed out throws: cancelled, but not by the host.
                return passes == 1 ? Task.FromException(new TaskCanceledException("timed out")) : Task.CompletedTask;
            },
            failures.Add,
            stop.Token);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await ran.WaitAsync(TimeSpan.FromSeconds(10)));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await ran.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(loop.IsCompleted);

        stop.Cancel();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, passes);
        Assert.IsType<TaskCanceledException>(Assert.Single(failures));
    }
}
