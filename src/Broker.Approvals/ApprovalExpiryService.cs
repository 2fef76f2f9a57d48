using Broker.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Approvals;

/// <summary>
/// Every <see cref="Interval"/>, records and announces the approvals that expired undecided or unused
/// (<see cref="ApprovalDesk.AnnounceExpiriesAsync"/>), so the approvers' channel learns that a request lapsed and the
/// trail says so. Every replica may run it: each expiry is claimed by one of them.
/// </summary>
public sealed partial class ApprovalExpiryService(ApprovalDesk desk, TimeProvider time, ILogger<ApprovalExpiryService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(Interval, time, async ct =>
        {
            var announced = await desk.AnnounceExpiriesAsync(ct).ConfigureAwait(false);
            if (announced > 0)
            {
                LogAnnounced(logger, announced);
            }
        }, ex => LogFailed(logger, ex.GetType().Name), stoppingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recorded the expiry of {Count} approvals that were not decided or not used.")]
    private static partial void LogAnnounced(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording expired approvals failed ({Error}); retrying later.")]
    private static partial void LogFailed(ILogger logger, string error);
}
