using Broker.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Approvals;

/// <summary>
/// Deletes approvals that expired more than <see cref="ApprovalOptions.Retention"/> ago, every <see cref="Interval"/>,
/// so held requests do not pile up rows forever. An expired approval can no longer be decided or used; what it asked
/// and who decided stay in the audit trail. Idempotent, so every replica may run it.
/// </summary>
public sealed partial class ApprovalPruneService(IApprovalStore store, IOptions<ApprovalOptions> options, TimeProvider time, ILogger<ApprovalPruneService> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>One pass: deletes what expired before now minus the retention; returns how many (0 when retention is off).</summary>
    public async Task<int> PruneOnceAsync(CancellationToken cancellationToken = default)
    {
        var retention = options.Value.Retention;
        if (retention <= TimeSpan.Zero)
        {
            return 0;
        }

        var pruned = await store.PruneAsync(time.GetUtcNow() - retention, cancellationToken).ConfigureAwait(false);
        if (pruned > 0)
        {
            LogPruned(logger, pruned);
        }

        return pruned;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(Interval, time, PruneOnceAsync, ex => LogFailed(logger, ex.GetType().Name), stoppingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} approvals expired longer ago than the retention.")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning expired approvals failed ({Error}); retrying later.")]
    private static partial void LogFailed(ILogger logger, string error);
}
