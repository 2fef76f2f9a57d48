using Broker.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Audit;

/// <summary>
/// Runs <see cref="AuditRetention"/> every <see cref="AuditOptions.RetentionInterval"/> when <see cref="AuditOptions.Retention"/>
/// is set. A failure is logged and retried at the next tick (an interrupted run resumes where it stopped); it never
/// blocks a request.
/// </summary>
public sealed partial class AuditRetentionService(AuditRetention retention, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditRetentionService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.Retention is not { } age || age <= TimeSpan.Zero || o.RetentionInterval <= TimeSpan.Zero)
        {
            return;
        }

        await PeriodicWork.RunAsync(o.RetentionInterval, time, retention.RunAsync, ex => LogFailed(logger, ex), stoppingToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "Audit retention failed; retrying at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
