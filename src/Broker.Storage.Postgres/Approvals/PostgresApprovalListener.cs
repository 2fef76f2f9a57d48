using Broker.Approvals;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Broker.Storage.Postgres.Approvals;

/// <summary>
/// LISTENs on <see cref="PostgresChannels.Approvals"/> and wakes this replica's waiters on an approval decided on any
/// replica. Its own connection, apart from the key and credential listener: a lost notification costs a waiter at most
/// its own wait (≤ 60 s; it then reads the store again), never a wrong answer, so it needs no catch-up.
/// </summary>
public sealed partial class PostgresApprovalListener(PostgresDatabase database, ApprovalSignal signal, TimeProvider time, ILogger<PostgresApprovalListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false, KeepAlive = 5, Timeout = 5 };
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                connection.Notification += (_, e) => signal.Publish(e.Payload);
                await connection.OpenAsync(stoppingToken).ConfigureAwait(false);
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresChannels.Approvals};", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                backoff = TimeSpan.FromMilliseconds(100);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLost(logger, ex.GetType().Name);
                try
                {
                    await Task.Delay(backoff, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 2_000));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The approvals LISTEN connection to PostgreSQL is down ({Error}); reconnecting")]
    private static partial void LogLost(ILogger logger, string error);
}
