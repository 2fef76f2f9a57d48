using Microsoft.Extensions.Hosting;

namespace Broker.Audit;

/// <summary>Drains the group-commit writer when the host stops. (It starts with its constructor, so it is already running.)</summary>
public sealed class AuditLogLifetime(GroupCommitAuditLog log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => log.StopAsync(cancellationToken);
}
