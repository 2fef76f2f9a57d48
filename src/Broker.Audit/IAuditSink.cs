namespace Broker.Audit;

/// <summary>
/// A secondary copy of the audit trail (a file, a SIEM forwarder). It receives each batch only after the store has
/// committed it, on a background loop: a sink never delays an answer and its failure is logged, not fatal. The
/// durable store is the record; a sink is a convenience and an external anchor against tail truncation.
/// </summary>
public interface IAuditSink
{
    /// <summary>Writes committed records, in commit order.</summary>
    ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);
}
