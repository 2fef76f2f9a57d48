namespace Broker.Core;

/// <summary>
/// The key that authenticated a request that is held open (a long-poll, an approval wait). Whatever waits must not
/// answer from the authentication it had before the wait: it waits through <see cref="WaitAsync"/>, which ends at once
/// when the key is revoked, rotated away or expires, and asks <see cref="IsStillValidAsync"/> before any answer.
/// </summary>
public interface IHeldKey
{
    /// <summary>
    /// Waits until <paramref name="until"/> completes or <paramref name="deadline"/> passes, for as long as the key stays
    /// valid, and checks the key again before it returns whatever ended the wait.
    /// </summary>
    /// <param name="until">Completes when what the caller waits for has happened; stops with <see cref="OperationCanceledException"/> when its token is cancelled. It may be called again, and must then wait from the same starting point.</param>
    /// <param name="deadline">When to give up waiting.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    Task<KeyWaitOutcome> WaitAsync(Func<CancellationToken, Task> until, DateTimeOffset deadline, CancellationToken cancellationToken = default);

    /// <summary>Whether the key is still valid now (revoked, rotated away or expired: false).</summary>
    ValueTask<bool> IsStillValidAsync(CancellationToken cancellationToken = default);
}
