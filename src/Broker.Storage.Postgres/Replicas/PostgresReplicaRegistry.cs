using System.Diagnostics;
using Broker.Keys;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Postgres.Replicas;

/// <summary>
/// The replicas' table (<c>broker_replicas</c>, migration 0005): heartbeats and acknowledgements of key events, and
/// the wait a revoke makes before it answers. A replica counts as live while its last heartbeat (database clock) is
/// younger than the lease; a replica older than that cannot hold a fresh lease either, because its lease started
/// before its last heartbeat was written (docs/replicas.md).
/// </summary>
public sealed partial class PostgresReplicaRegistry(PostgresDatabase database, KeyLeaseOptions options, TimeProvider time, ILogger<PostgresReplicaRegistry>? logger = null)
    : IReplicaHeartbeat, IRevocationBarrier
{
    private static readonly TimeSpan AckPollInterval = TimeSpan.FromMilliseconds(3);
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>This process's id in <c>broker_replicas</c>.</summary>
    public string ReplicaId { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():n}";

    public Task BeatAsync(long ackedSequence, CancellationToken cancellationToken = default) =>
        database.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO broker_replicas AS r (id, acked_seq, heartbeat_at, started_at) VALUES (@id, @ackedSequence, clock_timestamp(), clock_timestamp())
            ON CONFLICT (id) DO UPDATE SET acked_seq = GREATEST(r.acked_seq, excluded.acked_seq), heartbeat_at = excluded.heartbeat_at
            """,
            new { id = ReplicaId, ackedSequence }, cancellationToken: cancellationToken)), cancellationToken);

    public async Task WaitForReplicasAsync(CancellationToken cancellationToken = default)
    {
        // Measured from after the commit: any replica whose lease began before the commit has lost it by then.
        var started = time.GetTimestamp();
        var bound = options.Lease;
        try
        {
            var target = await database.RunAsync(connection => connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT seq FROM key_event_counter WHERE id = 1", cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false);
            while (time.GetElapsedTime(started) < bound)
            {
                var waiting = await database.RunAsync(connection => connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    """
                    SELECT count(*) FROM broker_replicas
                    WHERE id <> @id AND acked_seq < @target AND heartbeat_at > clock_timestamp() - make_interval(secs => @leaseSeconds)
                    """,
                    new { id = ReplicaId, target, leaseSeconds = bound.TotalSeconds }, cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false);
                if (waiting == 0)
                {
                    return;
                }

                await Task.Delay(AckPollInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogWaitFailed(_logger, ex.GetType().Name);
        }

        var left = bound - time.GetElapsedTime(started);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, time, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the replicas' acknowledgements ({Error}); waiting out the lease instead")]
    private static partial void LogWaitFailed(ILogger logger, string error);
}
