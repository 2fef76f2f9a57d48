using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Polly;

namespace Broker.Client.Internal;

/// <summary>
/// Keeps the <see cref="CredentialCache"/> fresh: the first full load (bounded by
/// <see cref="BrokerClientOptions.StartTimeout"/>, falling back to the disk cache), then deltas (<c>since=</c>) by
/// long-poll or jittered polling, <c>If-None-Match</c>/304, and retries through the client's one retry pipeline.
/// Owns <see cref="BrokerClient.Status"/>.
/// </summary>
internal sealed class FeedPoller : IAsyncDisposable
{
    private readonly BrokerRestClient _rest;
    private readonly CredentialCache _cache;
    private readonly DiskCache? _diskCache;
    private readonly BrokerClientOptions _options;
    private readonly BrokerTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly Action<CredentialsChangedEventArgs> _onChanged;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly ResiliencePipeline _startPipeline;
    private readonly ResiliencePipeline _refreshPipeline;
    private volatile BrokerClientStatus _status = new(false, null, null, null, false);
    private volatile bool _needsFullLoad = true;
    private Task? _loop;

    public FeedPoller(BrokerRestClient rest, CredentialCache cache, DiskCache? diskCache, BrokerClientOptions options, BrokerTelemetry telemetry, ILogger logger, Action<CredentialsChangedEventArgs> onChanged)
    {
        _rest = rest;
        _cache = cache;
        _diskCache = diskCache;
        _options = options;
        _telemetry = telemetry;
        _logger = logger;
        _onChanged = onChanged;

        // The first load gives up on what retrying cannot fix (a refused key); the background refresh never gives up
        // (a key may be fixed by BrokerKeyCredential.Update) and keeps the last good values meanwhile.
        _startPipeline = RetryPipelineFactory.Create(options, BrokerErrors.IsTransient, RecordFailure);
        _refreshPipeline = RetryPipelineFactory.Create(options, ex => ex is not OperationCanceledException || !_stopping.IsCancellationRequested, RecordFailure);
    }

    public BrokerClientStatus Status => _status;

    /// <summary>Does the first load, then starts the background refresh. Calling it again does nothing.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_loop is not null)
            {
                return;
            }

            using var activity = BrokerTelemetry.ActivitySource.StartActivity("broker.client.load");
            using var timeout = new CancellationTokenSource(_options.StartTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _stopping.Token);
            try
            {
                await _startPipeline.ExecuteAsync(static async (self, ct) => await self.RefreshOnceAsync(longPoll: false, ct).ConfigureAwait(false), this, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !_stopping.IsCancellationRequested && (BrokerErrors.IsTransient(ex) || ex is OperationCanceledException))
            {
                activity?.SetStatus(ActivityStatusCode.Error, "unreachable");
                var lastError = ex is OperationCanceledException && _status.LastError is { } previous ? previous : BrokerErrors.Describe(ex);
                RecordFailure(ex);
                if (!TryStartFromDiskCache())
                {
                    throw new BrokerException($"The broker at {_rest.Endpoint} could not be reached within {_options.StartTimeout.TotalSeconds:0.#} s and there is no disk cache to start from. Last error: {lastError}", 0, null, ex);
                }
            }
            catch (BrokerException ex)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Status.ToString(CultureInfo.InvariantCulture));
                RecordFailure(ex);
                throw;
            }

            _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>Stops refreshing and waits for the loop to end.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await _refreshPipeline.ExecuteAsync(static async (self, ct) => await self.RefreshOnceAsync(self._options.LongPoll, ct).ConfigureAwait(false), this, stopping).ConfigureAwait(false);
                if (!_options.LongPoll)
                {
                    await Task.Delay(NextPollDelay(), _options.TimeProvider, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Not expected (the retry handles everything); keep the last good values and carry on.
                _logger.LogError("Broker refresh loop failed: {Error}", BrokerErrors.Describe(ex));
                try
                {
                    await Task.Delay(_options.MaxRetryDelay, _options.TimeProvider, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private TimeSpan NextPollDelay()
    {
        var spread = _options.Jitter * ((Random.Shared.NextDouble() * 2) - 1);
        return TimeSpan.FromTicks((long)(_options.PollInterval.Ticks * (1 + spread)));
    }

    private async Task RefreshOnceAsync(bool longPoll, CancellationToken cancellationToken)
    {
        var state = _cache.State;
        var full = _needsFullLoad || state.Cursor is null;
        var wait = longPoll && !full ? _options.LongPollWait : (TimeSpan?)null;

        using var activity = BrokerTelemetry.ActivitySource.StartActivity(full ? "broker.client.load" : "broker.client.refresh");
        FeedPage page;
        try
        {
            page = await _rest.GetFeedAsync(full ? null : state.Cursor, full ? null : state.ETag, wait, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokerException ex)
        {
            if (!full && ex.Status is 400 or 410)
            {
                // The broker no longer knows our cursor: the next attempt reloads everything.
                _needsFullLoad = true;
            }

            activity?.SetStatus(ActivityStatusCode.Error, ex.Status.ToString(CultureInfo.InvariantCulture));
            throw;
        }

        if (page.Feed is not { } feed)
        {
            activity?.SetTag("http.response.status_code", 304);
            RecordSuccess(state);
            return;
        }

        var update = _cache.Apply(feed, full, page.ETag);
        _needsFullLoad = false;
        activity?.SetTag("broker.changed", feed.Credentials?.Count ?? 0);
        RecordSuccess(update.State);

        // The event first: the new values are already served from memory, and the disk cache (encrypt, write, fsync:
        // milliseconds to tens of them on a busy disk) is only the fallback for a later start, so it must not delay
        // what the application does with a rotation.
        if (update.HasChanges)
        {
            _logger.LogInformation("Broker credentials changed: {Changed} updated, {Removed} removed.", update.Changed?.Count ?? 0, update.Removed?.Count ?? 0);
            _onChanged(new CredentialsChangedEventArgs(update.Changed ?? Array.Empty<string>(), update.Removed ?? Array.Empty<string>()));
        }

        if (update.HasChanges || full)
        {
            _diskCache?.Save(update.State, _options.TimeProvider.GetUtcNow());
        }
    }

    private bool TryStartFromDiskCache()
    {
        var cached = _diskCache?.TryLoad(out _);
        if (cached is null)
        {
            return false;
        }

        _cache.Restore(cached);
        _needsFullLoad = true;
        var current = _status;
        _status = new BrokerClientStatus(true, current.LastRefreshed, current.LastError, cached.Cursor, fromDiskCache: true);
        _logger.LogWarning("The broker could not be reached; starting from the encrypted disk cache ({Count} credentials). Refreshing continues in the background.", cached.Credentials.Count);
        return true;
    }

    private void RecordSuccess(CacheState state)
    {
        _telemetry.Refreshes.Add(1);
        _status = new BrokerClientStatus(true, _options.TimeProvider.GetUtcNow(), null, state.Cursor, fromDiskCache: false);
    }

    private void RecordFailure(Exception? ex)
    {
        _telemetry.RefreshFailures.Add(1);
        var message = BrokerErrors.Describe(ex);
        var current = _status;
        _status = new BrokerClientStatus(current.IsReady, current.LastRefreshed, message, current.Cursor, current.FromDiskCache);
        _logger.LogWarning("Broker refresh failed, keeping the last good values: {Error}", message);
    }
}
