using System.Collections.Concurrent;

namespace Broker.Keys;

/// <summary>
/// The hot path: SHA-256 of the presented key, then an in-memory lookup; the store only on a miss.
/// Revocation is instant because <see cref="Invalidate"/> runs before a revoke answers, and a load that raced
/// with an invalidation never re-inserts its stale entry (generation check after insert). Expiry (of the key or
/// of a rotated secret's grace period) is checked on every request against the clock, not cached.
/// With replicas, the cache answers only while <paramref name="lease"/> is fresh (docs/revocation.md); without
/// one (a single process) it always may.
/// Requests that wait (long-polls) check their key again after the wait (<see cref="AuthenticatedKey"/>), through
/// the same cache, and are woken by <see cref="Invalidate"/> through <see cref="Watch"/>.
/// Only keys found in the store are cached (valid, expired or revoked), never unknown hashes: a flood of bogus keys
/// neither grows the cache nor evicts anything (it is throttled before the store instead, by the host).
/// </summary>
public sealed class KeyAuthenticator(IKeyStore store, TimeProvider time, IKeyCacheLease? lease = null)
{
    private readonly ConcurrentDictionary<PresentedKey, Entry> _cache = new();
    private readonly Dictionary<string, Watchers> _watchers = new(StringComparer.Ordinal);
    private long _generation;

    public int CachedCount => _cache.Count;

    /// <summary>How many keys someone waits with (<see cref="Watch"/>) right now.</summary>
    public int WatchedCount
    {
        get
        {
            lock (_watchers)
            {
                return _watchers.Count;
            }
        }
    }

    internal TimeProvider Time => time;

    public ValueTask<KeyCheck> CheckAsync(string presented, CancellationToken cancellationToken = default) =>
        PresentedKey.TryCreate(presented, out var key) ? CheckAsync(key, cancellationToken) : ValueTask.FromResult(KeyCheck.Unknown);

    public ValueTask<KeyCheck> CheckAsync(PresentedKey presented, CancellationToken cancellationToken = default) =>
        TryCheckCached(presented, out var check) ? ValueTask.FromResult(check) : LoadAsync(presented, cancellationToken);

    /// <summary>
    /// Answers from memory when the cache holds the key and may answer now: while its lease is fresh, or whatever
    /// the lease when the key is revoked (a revocation never ends, so that entry cannot be stale). False when only
    /// the store can answer.
    /// </summary>
    public bool TryCheckCached(PresentedKey presented, out KeyCheck check)
    {
        if (_cache.TryGetValue(presented, out var entry) && (lease is null || entry.Key.RevokedAt is not null || lease.IsFresh))
        {
            check = Evaluate(entry, time.GetUtcNow());
            return true;
        }

        check = default;
        return false;
    }

    /// <summary>
    /// Whether the cache holds the key as valid now, whether or not its lease lets it answer: a key that was found
    /// valid and has not been invalidated since. For decisions that only need "known good" (throttling), not for
    /// authentication.
    /// </summary>
    public bool IsCachedAsValid(PresentedKey presented) =>
        _cache.TryGetValue(presented, out var entry) && Evaluate(entry, time.GetUtcNow()).Status == KeyCheckStatus.Valid;

    /// <summary>
    /// Checks again a key that authenticated a request earlier (after the request waited): valid only if it still is
    /// and still resolves to <paramref name="keyId"/>. Memory only while the cache may answer, as on every request.
    /// </summary>
    public async ValueTask<KeyCheck> RecheckAsync(PresentedKey presented, string keyId, CancellationToken cancellationToken = default)
    {
        var check = await CheckAsync(presented, cancellationToken).ConfigureAwait(false);
        return check.Status == KeyCheckStatus.Valid && check.Key!.Id != keyId ? KeyCheck.Unknown : check;
    }

    /// <summary>
    /// Watches a key for its next invalidation (a revoke or rotation committed here, or applied by the revocation
    /// follower from another replica). Take the watch before checking the key, so an invalidation in between is
    /// seen by one or the other.
    /// </summary>
    public KeyWatch Watch(string keyId)
    {
        Watchers watchers;
        lock (_watchers)
        {
            if (!_watchers.TryGetValue(keyId, out watchers!))
            {
                _watchers[keyId] = watchers = new Watchers();
            }

            watchers.Count++;
        }

        return new KeyWatch(watchers.Source.Task, () => Unwatch(keyId, watchers));
    }

    /// <summary>Drops every cached secret of a key. Call after the store committed a revoke or rotation and before answering.</summary>
    public void Invalidate(string keyId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (hashKey, entry) in _cache)
        {
            if (entry.Key.Id == keyId)
            {
                _cache.TryRemove(hashKey, out _);
            }
        }

        // Only now (the cache no longer holds the key) wake whoever waits with it: their re-check reads the store.
        Watchers? watchers;
        lock (_watchers)
        {
            _watchers.Remove(keyId, out watchers);
        }

        watchers?.Source.TrySetResult();
    }

    /// <summary>
    /// Drops everything (a replica that lost track of the revocation log). Waiters are not woken: the follower's
    /// catch-up invalidates the keys that did change, one by one, and every wait ends with a re-check anyway.
    /// </summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    private void Unwatch(string keyId, Watchers watchers)
    {
        lock (_watchers)
        {
            if (--watchers.Count == 0 && _watchers.TryGetValue(keyId, out var current) && ReferenceEquals(current, watchers))
            {
                _watchers.Remove(keyId);
            }
        }
    }

    private async ValueTask<KeyCheck> LoadAsync(PresentedKey presented, CancellationToken cancellationToken)
    {
        var generation = Interlocked.Read(ref _generation);
        var match = await store.FindByHashAsync(presented.ToHash(), cancellationToken).ConfigureAwait(false);
        if (match is null)
        {
            return KeyCheck.Unknown;
        }

        // Revoked keys are cached too (as revoked): a leaked key hammered after its revoke is answered from memory.
        var entry = new Entry(match.Key, match.SecretExpiresAt);
        if (Interlocked.Read(ref _generation) == generation)
        {
            _cache[presented] = entry;

            // An invalidation between the read above and the insert must win: undo the insert.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _cache.TryRemove(presented, out _);
            }
        }

        return Evaluate(entry, time.GetUtcNow());
    }

    private static KeyCheck Evaluate(Entry entry, DateTimeOffset now)
    {
        var key = entry.Key;
        if (key.RevokedAt is not null)
        {
            return new KeyCheck(KeyCheckStatus.Revoked, null);
        }

        var validUntil = key.ExpiresAt;
        if (entry.SecretExpiresAt is { } secretExpires && (validUntil is null || secretExpires < validUntil))
        {
            validUntil = secretExpires;
        }

        return validUntil <= now ? new KeyCheck(KeyCheckStatus.Expired, null) : new KeyCheck(KeyCheckStatus.Valid, key, validUntil);
    }

    private sealed record Entry(ApiKeyRecord Key, DateTimeOffset? SecretExpiresAt);

    private sealed class Watchers
    {
        public TaskCompletionSource Source { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count { get; set; }
    }
}
