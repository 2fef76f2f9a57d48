namespace Broker.Core;

/// <summary>The loop of the broker's housekeeping services: one pass every interval until the host stops.</summary>
public static class PeriodicWork
{
    /// <summary>
    /// Runs <paramref name="pass"/> at every tick of <paramref name="interval"/> (on <paramref name="time"/>) until
    /// <paramref name="stoppingToken"/> fires, then returns quietly. A pass that throws while the host is not
    /// stopping (a store that is down, a call that timed out with an <see cref="OperationCanceledException"/> of its
    /// own) is handed to <paramref name="failed"/>, and the next tick tries again: only the host's stop ends the loop.
    /// </summary>
    public static async Task RunAsync(
        TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> pass, Action<Exception> failed, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(failed);
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await pass(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    failed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
