using Broker.Audit;

namespace Broker.Server.Hosting;

/// <summary>
/// Only for measuring what auditing costs (<c>Broker:Audit:DisabledForBenchmark=true</c>): records nothing.
/// The broker logs a critical warning at start when it is on. Never use it in production.
/// </summary>
internal sealed class DisabledAuditLog : IAuditLog
{
    public ValueTask RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask RecordManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
