using System.Text.Json;
using Broker.Credentials;
using Broker.Keys;
using Broker.Minting.Signing;
using Broker.Storage.Postgres.Credentials;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Broker.Storage.Postgres.Replicas;

/// <summary>
/// LISTENs on one dedicated connection (outside the pool) for the other replicas' commits: a credential change
/// wakes this replica's long-polls (<see cref="CredentialChangeSignal.Publish"/>), a key event invalidates the key
/// at once and wakes the revocation follower, a signing key retired at once makes the signing-key view reload. The
/// connection reconnects on its own; after a reconnect, notifications may have been missed, so the key cache is
/// dropped wholesale, the signing-key view reloads, and every tenant seen so far is caught up from the change feed.
/// </summary>
public sealed partial class PostgresNotificationListener(
    PostgresDatabase database,
    ICredentialStore credentials,
    CredentialChangeSignal signal,
    KeyAuthenticator authenticator,
    KeyEventFollower follower,
    SigningKeyManager signingKeys,
    TimeProvider time,
    ILogger<PostgresNotificationListener> logger) : BackgroundService
{
    private readonly Dictionary<string, long> _cursors = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private volatile bool _listening;

    /// <summary>Whether the LISTEN connection is up now.</summary>
    public bool IsListening => _listening;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connected = false;
        var backoff = TimeSpan.FromMilliseconds(100);
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false, KeepAlive = 5, Timeout = 5 };
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                connection.Notification += OnNotification;
                await connection.OpenAsync(stoppingToken).ConfigureAwait(false);
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresChannels.Credentials}; LISTEN {PostgresChannels.KeyEvents}; LISTEN {PostgresChannels.SigningKeys};", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                _listening = true;
                backoff = TimeSpan.FromMilliseconds(100);
                if (connected)
                {
                    LogReconnected(logger);
                    follower.Reset();
                    signingKeys.Invalidate();
                    await CatchUpCredentialsAsync(stoppingToken).ConfigureAwait(false);
                }

                connected = true;
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
                if (_listening || !connected)
                {
                    LogLost(logger, ex.GetType().Name);
                }

                _listening = false;

                // Whatever the follower cached may now miss events: drop it, and let the lease run out.
                authenticator.InvalidateAll();
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

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == PostgresChannels.KeyEvents)
        {
            authenticator.Invalidate(e.Payload);
            follower.Wake();
            return;
        }

        if (e.Channel == PostgresChannels.SigningKeys)
        {
            signingKeys.Invalidate();
            return;
        }

        if (e.Channel == PostgresChannels.Credentials)
        {
            ChangePayload? change;
            try
            {
                change = JsonSerializer.Deserialize<ChangePayload>(e.Payload);
            }
            catch (JsonException)
            {
                return;
            }

            if (change is null)
            {
                return;
            }

            lock (_gate)
            {
                if (!_cursors.TryGetValue(change.Tenant, out var seen) || seen < change.Cursor)
                {
                    _cursors[change.Tenant] = change.Cursor;
                }
            }

            signal.Publish(change.Tenant, change.Cursor, change.Name);
        }
    }

    private async Task CatchUpCredentialsAsync(CancellationToken cancellationToken)
    {
        KeyValuePair<string, long>[] tenants;
        lock (_gate)
        {
            tenants = _cursors.ToArray();
        }

        foreach (var (tenant, seen) in tenants)
        {
            try
            {
                var changes = await credentials.GetChangesAsync(tenant, seen, cancellationToken).ConfigureAwait(false);
                foreach (var name in changes.Changed.Select(c => c.Name).Concat(changes.Removed))
                {
                    signal.Publish(tenant, changes.Cursor, name);
                }

                lock (_gate)
                {
                    _cursors[tenant] = Math.Max(changes.Cursor, _cursors.GetValueOrDefault(tenant));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCatchUpFailed(logger, ex.GetType().Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The LISTEN connection to PostgreSQL is down ({Error}); reconnecting")]
    private static partial void LogLost(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "The LISTEN connection to PostgreSQL is back; the key cache was dropped and the change feed caught up")]
    private static partial void LogReconnected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catching up a tenant's change feed after a reconnect failed ({Error})")]
    private static partial void LogCatchUpFailed(ILogger logger, string error);
}
