using System.Diagnostics;

namespace Broker.Client.Tests;

internal static class TestUtil
{
    /// <summary>Generous: the machine is shared; waits return as soon as the condition holds.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null)
    {
        var sw = Stopwatch.StartNew();
        var limit = deadline ?? Deadline;
        while (!condition())
        {
            if (sw.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var sw = Stopwatch.StartNew();
        var limit = deadline ?? Deadline;
        while (!await condition())
        {
            if (sw.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    public static async Task<T> WithDeadline<T>(this Task<T> task, string what, TimeSpan? deadline = null)
    {
        var winner = await Task.WhenAny(task, Task.Delay(deadline ?? Deadline));
        if (winner != task)
        {
            throw new TimeoutException($"Timed out waiting for: {what}");
        }

        return await task;
    }

    public static BrokerClientOptions FastOptions(bool longPoll = true) => new()
    {
        LongPoll = longPoll,
        LongPollWait = TimeSpan.FromSeconds(20),
        PollInterval = TimeSpan.FromMilliseconds(200),
        MaxRetryDelay = TimeSpan.FromMilliseconds(300),
        StartTimeout = TimeSpan.FromSeconds(10),
    };

    public static Task<CredentialsChangedEventArgs> NextChangeAsync(BrokerClient client, Func<CredentialsChangedEventArgs, bool>? match = null)
    {
        var tcs = new TaskCompletionSource<CredentialsChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<CredentialsChangedEventArgs>? handler = null;
        handler = (_, e) =>
        {
            if (match is null || match(e))
            {
                client.CredentialsChanged -= handler;
                tcs.TrySetResult(e);
            }
        };
        client.CredentialsChanged += handler;
        return tcs.Task;
    }
}
