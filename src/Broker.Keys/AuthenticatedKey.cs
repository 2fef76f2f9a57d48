using Broker.Core;

namespace Broker.Keys;

/// <summary>
/// The key that authenticated a request, kept for as long as the request is held open: what was presented (as its
/// hash) and the key it resolved to. Anything that waits before it answers (a long-poll, an approval) must not
/// answer from the authentication it had before the wait: it waits through <see cref="WaitAsync"/>, which ends at
/// once when the key is revoked, rotated away or expires, and checks the key again before any answer with
/// <see cref="RecheckAsync"/>. Both use the same cache, lease and invalidation as every request
/// (docs/revocation.md), so a valid key is re-checked in memory.
/// </summary>
public sealed class AuthenticatedKey(KeyAuthenticator authenticator, PresentedKey presented, ApiKeyRecord key) : IHeldKey
{
    /// <summary>The key as it was when the request was authenticated.</summary>
    public ApiKeyRecord Key => key;

    /// <summary>Checks the key again now: <see cref="KeyCheckStatus.Valid"/> with the current record, or why not.</summary>
    public ValueTask<KeyCheck> RecheckAsync(CancellationToken cancellationToken = default) =>
        authenticator.RecheckAsync(presented, key.Id, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<bool> IsStillValidAsync(CancellationToken cancellationToken = default) =>
        (await RecheckAsync(cancellationToken).ConfigureAwait(false)).Status == KeyCheckStatus.Valid;

    /// <summary>
    /// Waits until <paramref name="until"/> completes or <paramref name="deadline"/> passes, for as long as the key stays
    /// valid, and checks the key again before it returns whatever ended the wait. A revoke or rotation of the key
    /// wakes the wait; its expiry ends it at that instant.
    /// </summary>
    /// <param name="until">
    /// Completes when what the caller waits for has happened; must stop with <see cref="OperationCanceledException"/>
    /// when its token is cancelled. It may be called again after the key was found still valid (a rotation with
    /// grace), and must then wait from the same starting point, so nothing that happened in between is missed.
    /// </param>
    /// <param name="deadline">When to give up waiting (absolute, on the authenticator's clock).</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    public async Task<KeyWaitOutcome> WaitAsync(Func<CancellationToken, Task> until, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(until);
        var time = authenticator.Time;
        while (true)
        {
            using var watch = authenticator.Watch(key.Id);
            var check = await RecheckAsync(cancellationToken).ConfigureAwait(false);
            if (check.Status != KeyCheckStatus.Valid)
            {
                return KeyWaitOutcome.KeyInvalid;
            }

            var now = time.GetUtcNow();
            if (deadline <= now)
            {
                return KeyWaitOutcome.TimedOut;
            }

            var end = check.ValidUntil is { } validUntil && validUntil < deadline ? validUntil : deadline;
            if (end <= now)
            {
                // The key's validity ended between the check and now: the next check says so.
                continue;
            }

            using var timer = new CancellationTokenSource(end - now, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            var waiting = until(linked.Token);
            if (await Task.WhenAny(waiting, watch.Invalidated).ConfigureAwait(false) != waiting)
            {
                // Revoked or rotated: stop waiting and check again (a rotation with grace leaves the key valid).
                await linked.CancelAsync().ConfigureAwait(false);
                await StoppedAsync(waiting).ConfigureAwait(false);
                continue;
            }

            try
            {
                await waiting.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timer.IsCancellationRequested)
            {
                // The deadline or the key's validity ran out: the next round tells which.
                continue;
            }

            return (await RecheckAsync(cancellationToken).ConfigureAwait(false)).Status == KeyCheckStatus.Valid
                ? KeyWaitOutcome.Signalled
                : KeyWaitOutcome.KeyInvalid;
        }
    }

    private static async Task StoppedAsync(Task waiting)
    {
        try
        {
            await waiting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Says which key, never what was presented.</summary>
    public override string ToString() => $"AuthenticatedKey {{ KeyId = {key.Id} }}";
}
