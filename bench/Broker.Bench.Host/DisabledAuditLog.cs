using Broker.Audit;

namespace Broker.Bench.Host;

/// <summary>Records nothing: what a request costs without its audit record. Only in this benchmark host.</summary>
internal sealed class DisabledAuditLog : IAuditLog
{
    public DisabledAuditLog(ILogger<DisabledAuditLog> logger) =>
        logger.LogCritical("AUDITING IS OFF (Broker.Bench.Host): for measuring its cost only; never run this host as a broker");

    public ValueTask RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask RecordManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
