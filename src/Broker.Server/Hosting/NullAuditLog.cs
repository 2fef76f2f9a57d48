using Broker.Audit;

namespace Broker.Server.Hosting;

/// <summary>Placeholder until the hash-chained audit writer is wired in.</summary>
internal sealed class NullAuditLog : IAuditLog
{
    public ValueTask RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
