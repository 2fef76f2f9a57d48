namespace Broker.Audit;

/// <summary>
/// The audit trail. <see cref="RecordAsync"/> completes only once the record is durable; callers that read a
/// secret, mint a credential or change state await it before answering (fail closed).
/// </summary>
public interface IAuditLog
{
    /// <summary>Records one decision and waits until it is durable.</summary>
    /// <exception cref="AuditUnavailableException">The record could not be written; the caller must refuse (503).</exception>
    ValueTask RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records several decisions (say, every credential one agent poll returns) and waits until all are durable.
    /// They are enqueued together and normally share one commit, where awaiting <see cref="RecordAsync"/> one by one
    /// would pay one commit each.
    /// </summary>
    /// <exception cref="AuditUnavailableException">Any of them could not be written; the caller must refuse (503).</exception>
    async ValueTask RecordManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var pending = new Task[entries.Count];
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = RecordAsync(entries[i], cancellationToken).AsTask();
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }
}
