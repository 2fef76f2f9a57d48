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
}
