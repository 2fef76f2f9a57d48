using Microsoft.Extensions.Time.Testing;

namespace Broker.Core.Tests;

public sealed class PeriodicWorkTests
{
    /// <summary>
    /// A store that is down, and a call cancelled by its own timeout (what an HTTP call that timed out throws:
    /// cancelled, but not by the host): both are failures to report, never the end of the loop.
    /// </summary>
    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(TaskCanceledException))]
    public async Task EveryTick_RunsAPass_AFailedPassIsReported_AndTheNextTickRunsAgain_UntilStopped(Type failure)
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
                return passes == 1 ? Task.FromException((Exception)Activator.CreateInstance(failure, "failed")!) : Task.CompletedTask;
            },
            failures.Add,
            stop.Token);

        Assert.Equal(0, passes);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await ran.WaitAsync(TimeSpan.FromSeconds(10)));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await ran.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(loop.IsCompleted);

        stop.Cancel();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, passes);
        Assert.IsType(failure, Assert.Single(failures));
    }
}
