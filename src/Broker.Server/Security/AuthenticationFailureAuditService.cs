using Broker.Audit;
using Broker.Core;
using Broker.Server.Hosting;
using Broker.Server.Security;
using Microsoft.Extensions.Options;

namespace Broker.Server.Security;

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
        // Every window (at least every second): summaries of windows that ended quietly, and forget those addresses.
        // In between, at once: summaries of windows that a new failure from the same address found ended.
        var period = options.Value.Window < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : options.Value.Window;
        using var timer = new PeriodicTimer(period, time);
        Task<bool>? tick = null;
        Task? ended = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            tick ??= timer.WaitForNextTickAsync(stoppingToken).AsTask();
            ended ??= tracker.WaitForEndedAsync(stoppingToken);
            await Task.WhenAny(tick, ended);
            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            var sweep = tick.IsCompleted;
            tick = sweep ? null : tick;
            ended = ended.IsCompleted ? null : ended;
            await WriteAsync(tracker.Collect(sweep), stoppingToken);
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
