using Broker.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Identity;

/// <summary>
/// Deletes the access-token keys of workload logins a day after they expired (every
/// <see cref="Interval"/>), so that logins every few minutes do not pile up key rows forever; the day keeps them in
/// <c>GET /v1/keys</c> for a while after use. Their audit records stay.
/// </summary>
public sealed partial class WorkloadKeyPruneService(IWorkloadProfileStore store, TimeProvider time, ILogger<WorkloadKeyPruneService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan KeptAfterExpiry = TimeSpan.FromDays(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(Interval, time, PruneOnceAsync, ex => LogFailed(logger, ex.GetType().Name), stoppingToken);

    private async Task PruneOnceAsync(CancellationToken cancellationToken)
    {
        var pruned = await store.PruneAsync(time.GetUtcNow() - KeptAfterExpiry, cancellationToken).ConfigureAwait(false);
        if (pruned > 0)
        {
            LogPruned(logger, pruned);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} expired workload access-token keys.")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning expired workload access-token keys failed ({Error}); retrying later.")]
    private static partial void LogFailed(ILogger logger, string error);
}
