using Broker.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Audit;

/// <summary>
/// Every <see cref="AuditOptions.CheckpointInterval"/>, for each tenant whose chain this broker extended since its
/// last checkpoint: signs the head it committed, appends it to the checkpoint file (fsynced), stores it in the
/// database, and hands it to the JSONL sink (behind the records it covers). A failure is logged and retried at the
/// next tick; it never blocks a request.
/// </summary>
public sealed partial class AuditCheckpointWriter(
    GroupCommitAuditLog log,
    AuditKeyManager keys,
    IAuditCheckpointStore store,
    IOptions<AuditOptions> options,
    TimeProvider time,
    ILogger<AuditCheckpointWriter> logger,
    AuditCheckpointFile? file = null) : BackgroundService
{
    private readonly Dictionary<string, AuditChainHead> _written = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Checkpoints every head that moved since the last one; returns the checkpoints written.</summary>
    public async Task<IReadOnlyList<AuditCheckpoint>> WriteCheckpointsAsync(CancellationToken cancellationToken = default)
    {
        var written = new List<AuditCheckpoint>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (tenant, head) in log.CommittedHeads())
            {
                if (_written.TryGetValue(tenant, out var last) && last == head)
                {
                    continue;
                }

                var checkpoint = await keys.SignAsync(tenant, head, cancellationToken).ConfigureAwait(false);
                if (file is not null)
                {
                    await file.AppendAsync(checkpoint, cancellationToken).ConfigureAwait(false);
                }

                await store.AddCheckpointAsync(checkpoint, cancellationToken).ConfigureAwait(false);
                log.PublishCheckpoint(checkpoint);
                _written[tenant] = head;
                written.Add(checkpoint);
            }
        }
        finally
        {
            _gate.Release();
        }

        return written;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.CheckpointInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        await PeriodicWork.RunAsync(interval, time, WriteCheckpointsAsync, ex => LogFailed(logger, ex), stoppingToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Writing audit checkpoints failed; retrying at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
