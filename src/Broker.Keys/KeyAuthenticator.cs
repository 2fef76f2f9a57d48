using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Broker.Keys;

/// <summary>
/// The hot path: SHA-256 of the presented key, then an in-memory lookup; the store only on a miss.
/// Revocation is instant because <see cref="Invalidate"/> runs before a revoke answers, and a load that raced
/// with an invalidation never re-inserts its stale entry (generation check after insert). Expiry (of the key or
/// of a rotated secret's grace period) is checked on every request against the clock, not cached.
/// With replicas, the cache answers only while <paramref name="lease"/> is fresh (docs/revocation.md); without
/// one (a single process) it always may.
/// </summary>
public sealed class KeyAuthenticator(IKeyStore store, TimeProvider time, IKeyCacheLease? lease = null)
{
    private readonly ConcurrentDictionary<HashKey, Entry> _cache = new();
    private long _generation;

    public int CachedCount => _cache.Count;

    public async ValueTask<KeyCheck> CheckAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (!KeySecrets.LooksLikeKey(presented))
        {
            return KeyCheck.Unknown;
        }

        Span<byte> hash = stackalloc byte[32];
        KeySecrets.Hash(presented, hash);
        var hashKey = HashKey.From(hash);
        if (_cache.TryGetValue(hashKey, out var entry) && (lease is null || lease.IsFresh))
        {
            return Evaluate(entry, time.GetUtcNow());
        }

        return await LoadAsync(hashKey, hash.ToArray(), cancellationToken).ConfigureAwait(false);
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
    }

    /// <summary>Drops everything (a replica that lost track of the revocation log).</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    private async ValueTask<KeyCheck> LoadAsync(HashKey hashKey, byte[] hash, CancellationToken cancellationToken)
    {
        var generation = Interlocked.Read(ref _generation);
        var match = await store.FindByHashAsync(hash, cancellationToken).ConfigureAwait(false);
        if (match is null)
        {
            return KeyCheck.Unknown;
        }

        var entry = new Entry(match.Key, match.SecretExpiresAt);
        if (match.Key.RevokedAt is null && Interlocked.Read(ref _generation) == generation)
        {
            _cache[hashKey] = entry;

            // An invalidation between the read above and the insert must win: undo the insert.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _cache.TryRemove(hashKey, out _);
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

        if ((key.ExpiresAt is { } expires && expires <= now) || (entry.SecretExpiresAt is { } secretExpires && secretExpires <= now))
        {
            return new KeyCheck(KeyCheckStatus.Expired, null);
        }

        return new KeyCheck(KeyCheckStatus.Valid, key);
    }

    private sealed record Entry(ApiKeyRecord Key, DateTimeOffset? SecretExpiresAt);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct HashKey(ulong A, ulong B, ulong C, ulong D)
    {
        public static HashKey From(ReadOnlySpan<byte> hash)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(hash);
            return new HashKey(words[0], words[1], words[2], words[3]);
        }
    }
}
