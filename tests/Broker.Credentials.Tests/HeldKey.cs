using Broker.Core;

namespace Broker.Credentials.Tests;

/// <summary>A held key the test revokes: a wait through it ends as soon as it is revoked.</summary>
internal sealed class HeldKey : IHeldKey
{
    private readonly TaskCompletionSource _revoked = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Revoke() => _revoked.TrySetResult();

    public ValueTask<bool> IsStillValidAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(!_revoked.Task.IsCompleted);

    public async Task<KeyWaitOutcome> WaitAsync(Func<CancellationToken, Task> until, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(deadline - DateTimeOffset.UtcNow);
        var waiting = until(stop.Token);
        Waiting.TrySetResult();
        if (await Task.WhenAny(waiting, _revoked.Task) != waiting)
        {
            await stop.CancelAsync();
            return KeyWaitOutcome.KeyInvalid;
        }

        try
        {
            await waiting;
            return KeyWaitOutcome.Signalled;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return KeyWaitOutcome.TimedOut;
        }
    }
}
