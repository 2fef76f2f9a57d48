using Broker.Audit;
using Broker.Core;
using Broker.Server.Security;
using Microsoft.Extensions.Options;

namespace Broker.Server.Hosting;

/// <summary>
/// Writes the per-address summaries of failed authentications (<see cref="AuthenticationFailureTracker"/>) to the
/// audit trail once per window, and once more at shutdown (before the audit writer drains): one
/// <c>request.denied</c> record per address and window instead of one per refused request.
/// </summary>
public sealed partial class AuthenticationFailureAuditService(
    AuthenticationFailureTracker tracker, IAuditLog audit, IOptions<AuthenticationFailureOptions> options, TimeProvider time, ILogger<AuthenticationFailureAuditService> logger) : BackgroundService
{
    /// <summary>The request id of a summary record: it stands for many requests.</summary>
    public const string SummaryRequestId = "summary";

    public const string Reason = "unauthenticated:401";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.Value.Window < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : options.Value.Window;
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await WriteAsync(tracker.Collect(), stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await WriteAsync(tracker.Collect(all: true), CancellationToken.None);
    }

    private async Task WriteAsync(IReadOnlyList<AuthenticationFailureSummary> summaries, CancellationToken cancellationToken)
    {
        if (summaries.Count == 0)
        {
            return;
        }

        var entries = summaries.Select(s => new AuditEntry(
            Tenants.Default, AuditActor.Anonymous, AuditActions.RequestDenied, s.Target, AuditOutcomes.Denied, Reason, SummaryRequestId, s.Client)).ToArray();
        try
        {
            await audit.RecordManyAsync(entries, cancellationToken);
        }
        catch (Exception ex) when (ex is AuditUnavailableException or OperationCanceledException)
        {
            LogLost(logger, entries.Length, ex.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} summaries of failed authentications could not be written to the audit ({Error})")]
    private static partial void LogLost(ILogger logger, int count, string error);
}
