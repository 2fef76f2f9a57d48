using System.Collections.Concurrent;

namespace Broker.Keys;

/// <summary>
/// Coalesces last-use stamps in memory; a background loop writes them in one batch. A request never waits
/// for a database write to record its use.
/// </summary>
public sealed class UsageTracker(IKeyStore store)
{
    private static readonly ConcurrentDictionary<string, DateTimeOffset> None = new(StringComparer.Ordinal);

    private ConcurrentDictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);

    // The batch being written stays readable until the store has it, so a list taken mid-flush still shows
    // the last use rather than the older stored one.
    private volatile ConcurrentDictionary<string, DateTimeOffset> _flushing = None;

    public void Record(string keyId, DateTimeOffset at) =>
        _pending.AddOrUpdate(keyId, at, (_, existing) => at > existing ? at : existing);

    /// <summary>The freshest known last use: a pending stamp, else the stored one.</summary>
    public DateTimeOffset? LastUsed(ApiKeyRecord key) =>
        Latest(Latest(key.LastUsedAt, _flushing, key.Id), _pending, key.Id);

    private static DateTimeOffset? Latest(DateTimeOffset? known, ConcurrentDictionary<string, DateTimeOffset> stamps, string keyId) =>
        stamps.TryGetValue(keyId, out var stamp) && (known is null || stamp > known) ? stamp : known;

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.IsEmpty)
        {
            return;
        }

        // Published before the swap: a reader between the two sees the batch in both places, never in neither.
        var batch = _pending;
        _flushing = batch;
        Interlocked.Exchange(ref _pending, new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal));
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
        finally
        {
            _flushing = None;
        }
    }
}
