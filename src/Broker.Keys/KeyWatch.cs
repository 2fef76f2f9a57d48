namespace Broker.Keys;

/// <summary>
/// A watch on one key, from <see cref="KeyAuthenticator.Watch"/>: <see cref="Invalidated"/> completes when the key
/// is revoked or rotated (here, or on another replica once its revocation follower learns of it). Dispose it when
/// the wait is over.
/// </summary>
public sealed class KeyWatch : IDisposable
{
    private Action? _release;

    internal KeyWatch(Task invalidated, Action release)
    {
        Invalidated = invalidated;
        _release = release;
    }

    /// <summary>Completes (never faults) when the key was invalidated after the watch began.</summary>
    public Task Invalidated { get; }

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
