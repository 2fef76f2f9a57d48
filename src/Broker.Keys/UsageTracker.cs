using System.Collections.Concurrent;

namespace Broker.Keys;

/// <summary>
/// Coalesces last-use stamps in memory; a background loop writes them in one batch. A request never waits
/// for a database write to record its use.
/// </summary>
public sealed class UsageTracker(IKeyStore store)
{
    private ConcurrentDictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);

    public void Record(string keyId, DateTimeOffset at) =>
        _pending.AddOrUpdate(keyId, at, (_, existing) => at > existing ? at : existing);

    /// <summary>The freshest known last use: a pending stamp, else the stored one.</summary>
    public DateTimeOffset? LastUsed(ApiKeyRecord key) =>
        _pending.TryGetValue(key.Id, out var pending) && (key.LastUsedAt is null || pending > key.LastUsedAt) ? pending : key.LastUsedAt;

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.IsEmpty)
        {
            return;
        }

        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal));
        try
        {
            await store.TouchAsync(batch.ToArray(), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var (id, at) in batch)
            {
                Record(id, at);
            }

            throw;
        }
    }
}
