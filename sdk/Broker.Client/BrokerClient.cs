using System.Collections.Frozen;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Broker.Client.Internal;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Broker.Client;

/// <summary>
/// The agent's connection to the broker: a local cache of outbound credentials kept fresh in the
/// background, placeholders, a redactor, and just-in-time tokens, AWS credentials and inbound key checks.
/// </summary>
/// <remarks>Thread-safe. One per process is the pattern; several work.</remarks>
public class BrokerClient : IAsyncDisposable
{
    private const string FeedPath = "v1/agent/credentials";

    private readonly BrokerClientOptions _options = null!;
    private readonly HttpClient _http = null!;
    private readonly ILogger _logger = NullLogger.Instance;
    private readonly BrokerTelemetry _telemetry = null!;
    private readonly SecretRedactor _redactor = null!;
    private readonly DiskCache? _diskCache;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly object _applyLock = new();
    private readonly ResiliencePipeline _startPipeline = ResiliencePipeline.Empty;
    private readonly ResiliencePipeline _refreshPipeline = ResiliencePipeline.Empty;
    private volatile CacheState _state = CacheState.Empty;
    private volatile BrokerClientStatus _status = new(false, null, null, null, false);
    private bool _needsFullLoad = true;
    private Task? _refreshLoop;
    private int _disposed;

    /// <summary>For mocking only: every member of a client made this way must be set up by the mock.</summary>
    protected BrokerClient()
    {
    }

    /// <summary>Creates a client for <paramref name="endpoint"/> authenticating with the agent key <paramref name="apiKey"/>.</summary>
    /// <param name="endpoint">The broker's base address.</param>
    /// <param name="apiKey">The agent key.</param>
    /// <param name="options">Everything else; its <see cref="BrokerClientOptions.Endpoint"/> and <see cref="BrokerClientOptions.ApiKey"/> are ignored.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> or <paramref name="apiKey"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public BrokerClient(Uri endpoint, string apiKey, BrokerClientOptions? options = null)
        : this(WithEndpoint(options, endpoint, apiKey))
    {
    }

    /// <summary>Creates a client from options that carry <see cref="BrokerClientOptions.Endpoint"/> and <see cref="BrokerClientOptions.ApiKey"/>.</summary>
    /// <param name="options">The options; copied, so later changes have no effect.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The endpoint or key is missing, or an option is out of range.</exception>
    public BrokerClient(BrokerClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Endpoint is null)
        {
            throw new ArgumentException("BrokerClientOptions.Endpoint is required.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new ArgumentException("BrokerClientOptions.ApiKey is required.", nameof(options));
        }

        Validate(options);
        _options = options.Clone();
        _options.TimeProvider ??= TimeProvider.System;
        _logger = _options.LoggerFactory?.CreateLogger<BrokerClient>() ?? (ILogger)NullLogger.Instance;
        _redactor = new SecretRedactor();
        _telemetry = new BrokerTelemetry(() => _status.LastRefreshed is DateTimeOffset t ? (_options.TimeProvider.GetUtcNow() - t).TotalSeconds : null);

        var baseAddress = new Uri(_options.Endpoint!.AbsoluteUri.TrimEnd('/') + "/");
        var handler = _options.HttpMessageHandler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(5) };
        _http = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Broker.Client", typeof(BrokerClient).Assembly.GetName().Version?.ToString(3) ?? "1.0.0"));

        if (_options.CacheDirectory is { Length: > 0 } dir)
        {
            var provider = _options.DataProtectionProvider ?? DefaultDataProtection.Instance;
            _diskCache = new DiskCache(dir, baseAddress, _options.ApiKey!, provider, _logger);
        }

        var baseDelay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(200).Ticks, _options.MaxRetryDelay.Ticks));
        _startPipeline = new ResiliencePipelineBuilder { TimeProvider = _options.TimeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay,
                MaxDelay = _options.MaxRetryDelay,
                OnRetry = args => { RecordFailure(args.Outcome.Exception); return default; },
            })
            .Build();
        _refreshPipeline = new ResiliencePipelineBuilder { TimeProvider = _options.TimeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException || !_stopping.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay,
                MaxDelay = _options.MaxRetryDelay,
                OnRetry = args => { RecordFailure(args.Outcome.Exception); return default; },
            })
            .Build();
    }

    /// <summary>Fires once per change set applied to the cache, after the cache holds it, with the names (never values) that changed.</summary>
    /// <remarks>Raised on the refresh thread; a handler that throws is logged and does not stop refreshing.</remarks>
    public virtual event EventHandler<CredentialsChangedEventArgs>? CredentialsChanged;

    /// <summary>An immutable snapshot of the client's state.</summary>
    public virtual BrokerClientStatus Status => _status;

    /// <summary>Redacts every value this client holds or has held since it started.</summary>
    public virtual SecretRedactor Redactor => _redactor;

    internal BrokerClientOptions Options => _options;

    /// <summary>The current immutable cache, for the configuration provider.</summary>
    internal IReadOnlyDictionary<string, BrokerCredential> Snapshot => _state.Credentials;

    /// <summary>
    /// Loads every credential the key may read, then keeps the cache fresh in the background.
    /// When the broker cannot be reached within <see cref="BrokerClientOptions.StartTimeout"/>, starts from the
    /// encrypted disk cache if there is one (<see cref="BrokerClientStatus.FromDiskCache"/>). Calling it again does nothing.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="BrokerException">The broker could not be reached in time and there is no disk cache (<see cref="BrokerException.Status"/> 0), or it refused the key (401, 403).</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public virtual async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_refreshLoop is not null)
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
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !_stopping.IsCancellationRequested && (IsTransient(ex) || ex is OperationCanceledException))
            {
                activity?.SetStatus(ActivityStatusCode.Error, "unreachable");
                var lastError = ex is OperationCanceledException && _status.LastError is { } previous ? previous : Describe(ex);
                RecordFailure(ex);
                if (!TryStartFromDiskCache())
                {
                    throw new BrokerException($"The broker at {_http.BaseAddress} could not be reached within {_options.StartTimeout.TotalSeconds:0.#} s and there is no disk cache to start from. Last error: {lastError}", 0, null, ex);
                }
            }
            catch (BrokerException ex)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                RecordFailure(ex);
                throw;
            }

            _refreshLoop = Task.Run(() => RefreshLoopAsync(_stopping.Token), CancellationToken.None);
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>Returns the cached credential <paramref name="name"/>. Reads memory only: no I/O, no allocation.</summary>
    /// <param name="name">The credential's name.</param>
    /// <returns>The credential.</returns>
    /// <exception cref="CredentialNotFoundException">The cache does not hold <paramref name="name"/> (<see cref="BrokerException.Status"/> 0).</exception>
    public virtual BrokerCredential GetCredential(string name)
    {
        if (TryGetCredential(name, out var credential))
        {
            return credential;
        }

        throw new CredentialNotFoundException(name ?? string.Empty);
    }

    /// <summary>Looks up the cached credential <paramref name="name"/>. Reads memory only: no I/O, no allocation.</summary>
    /// <param name="name">The credential's name.</param>
    /// <param name="credential">The credential, when found.</param>
    /// <returns>Whether the cache holds it.</returns>
    public virtual bool TryGetCredential(string name, [NotNullWhen(true)] out BrokerCredential? credential)
    {
        if (name is not null && _state.Credentials.TryGetValue(name, out credential))
        {
            _telemetry.CacheHits.Add(1);
            return true;
        }

        _telemetry.CacheMisses.Add(1);
        credential = null;
        return false;
    }

    /// <summary>Asks the broker for the value of <paramref name="name"/> stored for <paramref name="subject"/> (a user). Nothing is cached.</summary>
    /// <param name="name">The credential's name.</param>
    /// <param name="subject">The user the agent acts for.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The per-subject credential.</returns>
    /// <exception cref="ArgumentException">An argument is null or empty.</exception>
    /// <exception cref="CredentialNotFoundException">The subject has no value for it (404).</exception>
    /// <exception cref="BrokerException">The broker refused (403, …) or could not be reached (0).</exception>
    public virtual async Task<BrokerCredential> GetCredentialForSubjectAsync(string name, string subject, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{FeedPath}/{Uri.EscapeDataString(name)}?subject={Uri.EscapeDataString(subject)}");
        var dto = await SendAsync<CredentialDto>(request, name, cancellationToken).ConfigureAwait(false);
        var credential = dto.ToModel();
        _redactor.Add(credential.Name, credential.Value);
        return credential;
    }

    /// <summary>
    /// Replaces every <c>$&lt;credentials.NAME&gt;</c> in <paramref name="text"/> with the cached value, in one
    /// left-to-right scan; text brought in by a value is never expanded again. Malformed placeholders are left as they are.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>The resolved text (the same instance when there is no placeholder).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="CredentialNotFoundException">A placeholder names a credential the cache does not hold; nothing partial is returned.</exception>
    public virtual string Resolve(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Placeholders.TryResolve(text, _state.Credentials, out var result, out var missing))
        {
            return result;
        }

        _telemetry.CacheMisses.Add(1);
        throw new CredentialNotFoundException(missing!, 0, $"Placeholder '{Placeholders.Prefix}{missing}>' names credential '{missing}', which the broker does not serve to this key.");
    }

    /// <summary>Mints a just-in-time token (<c>POST /v1/tokens</c>).</summary>
    /// <param name="request">What to put in it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The token.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    /// <exception cref="BrokerException">The broker refused (400, 403, 429) or could not be reached (0).</exception>
    public virtual async Task<BrokerToken> MintTokenAsync(TokenRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = BrokerTelemetry.ActivitySource.StartActivity("broker.client.mint_token");
        activity?.SetTag("broker.audience", request.Audience);
        var body = new TokenRequestDto
        {
            Audience = request.Audience,
            Task = request.Task,
            Scopes = request.Scopes is { Count: > 0 } s ? s : null,
            TtlSeconds = request.Ttl is TimeSpan ttl ? (int)Math.Ceiling(ttl.TotalSeconds) : null,
            OnBehalfOf = request.OnBehalfOf,
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/tokens") { Content = JsonContent.Create(body, options: Wire.Json) };
        var dto = await SendAsync<TokenDto>(message, null, cancellationToken, activity).ConfigureAwait(false);
        return new BrokerToken(dto.Token, dto.TokenType ?? "Bearer", dto.ExpiresAt, dto.Jti ?? string.Empty);
    }

    /// <summary>Gets short-lived AWS session credentials through the broker (<c>POST /v1/sts</c>).</summary>
    /// <param name="request">Which credential, role, duration and session policy.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The session credentials.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    /// <exception cref="ArgumentException"><see cref="AwsCredentialsRequest.Policy"/> is not a JSON object.</exception>
    /// <exception cref="BrokerException">The broker refused (400, 403), STS failed (502), or the broker could not be reached (0).</exception>
    public virtual async Task<AwsSessionCredentials> GetAwsCredentialsAsync(AwsCredentialsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JsonElement? policy = null;
        if (request.Policy is { } p)
        {
            try
            {
                using var doc = JsonDocument.Parse(p);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new ArgumentException("AwsCredentialsRequest.Policy must be a JSON object (a policy document).", nameof(request));
                }

                policy = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new ArgumentException("AwsCredentialsRequest.Policy is not valid JSON.", nameof(request), ex);
            }
        }

        using var activity = BrokerTelemetry.ActivitySource.StartActivity("broker.client.mint_sts");
        activity?.SetTag("broker.credential", request.Credential);
        var body = new StsRequestDto
        {
            Credential = request.Credential,
            Task = request.Task,
            RoleArn = request.RoleArn,
            DurationSeconds = request.Duration is TimeSpan d ? (int)Math.Ceiling(d.TotalSeconds) : null,
            Policy = policy,
            OnBehalfOf = request.OnBehalfOf,
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/sts") { Content = JsonContent.Create(body, options: Wire.Json) };
        var dto = await SendAsync<StsDto>(message, null, cancellationToken, activity).ConfigureAwait(false);
        _redactor.Add(request.Credential + ":session", dto.SecretAccessKey);
        _redactor.Add(request.Credential + ":session", dto.SessionToken);
        return new AwsSessionCredentials(dto.AccessKeyId, dto.SecretAccessKey, dto.SessionToken, dto.Expiration, dto.AssumedRoleArn ?? string.Empty);
    }

    /// <summary>Asks the broker whether an inbound key may call <paramref name="agent"/> now (<c>POST /v1/inbound/verify</c>). Never cached.</summary>
    /// <param name="key">The key the caller presented.</param>
    /// <param name="agent">This agent's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The verdict; a refused key is a result, not an exception.</returns>
    /// <exception cref="ArgumentException">An argument is null or empty.</exception>
    /// <exception cref="BrokerException">The broker could not answer (0, 5xx) or refused this agent's own key (401, 403, 429).</exception>
    public virtual async Task<InboundKeyResult> VerifyInboundKeyAsync(string key, string agent, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(agent);
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/inbound/verify") { Content = JsonContent.Create(new VerifyRequestDto { Key = key, Agent = agent }, options: Wire.Json) };
        var dto = await SendAsync<VerifyDto>(message, null, cancellationToken).ConfigureAwait(false);
        if (dto.Valid)
        {
            return new InboundKeyResult(true, InboundKeyFailure.None, dto.KeyId, dto.Name, dto.Tenant);
        }

        var reason = dto.Reason switch
        {
            "revoked" => InboundKeyFailure.Revoked,
            "expired" => InboundKeyFailure.Expired,
            "forbidden" => InboundKeyFailure.Forbidden,
            "rate_limited" => InboundKeyFailure.RateLimited,
            "quota_exceeded" => InboundKeyFailure.QuotaExceeded,
            _ => InboundKeyFailure.Unknown,
        };
        return new InboundKeyResult(false, reason, null, null, null);
    }

    /// <summary>Stops refreshing and releases the connection. Values already handed out stay usable.</summary>
    /// <returns>A task that completes when the background refresh has stopped.</returns>
    public virtual async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_refreshLoop is { } loop)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _http?.Dispose();
        _telemetry?.Dispose();
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    private static BrokerClientOptions WithEndpoint(BrokerClientOptions? options, Uri endpoint, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(apiKey);
        var copy = options?.Clone() ?? new BrokerClientOptions();
        copy.Endpoint = endpoint;
        copy.ApiKey = apiKey;
        return copy;
    }

    private static void Validate(BrokerClientOptions o)
    {
        if (o.PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("PollInterval must be positive.", nameof(o));
        }

        if (o.LongPollWait < TimeSpan.FromSeconds(1) || o.LongPollWait > TimeSpan.FromSeconds(60))
        {
            throw new ArgumentException("LongPollWait must lie between 1 and 60 seconds.", nameof(o));
        }

        if (o.Jitter is < 0 or > 1 || double.IsNaN(o.Jitter))
        {
            throw new ArgumentException("Jitter must lie between 0 and 1.", nameof(o));
        }

        if (o.MaxRetryDelay <= TimeSpan.Zero || o.StartTimeout <= TimeSpan.Zero || o.RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("MaxRetryDelay, StartTimeout and RequestTimeout must be positive.", nameof(o));
        }
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        HttpRequestException => true,
        JsonException => true,
        BrokerException b => b.Status is 0 or 408 or 429 or >= 500,
        _ => false,
    };

    private static string Describe(Exception? ex) => ex switch
    {
        null => "unknown",
        BrokerException b => b.Message,
        HttpRequestException h => h.HttpRequestError != HttpRequestError.Unknown ? $"{h.HttpRequestError}" : h.GetType().Name,
        OperationCanceledException => "timed out",
        _ => ex.GetType().Name,
    };

    private async Task RefreshLoopAsync(CancellationToken stopping)
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
                _logger.LogError("Broker refresh loop failed: {Error}", Describe(ex));
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
        var state = _state;
        var full = _needsFullLoad || state.Cursor is null;
        var wait = longPoll && !full && (state.Cursor is not null || state.ETag is not null) ? _options.LongPollWait : (TimeSpan?)null;

        using var activity = BrokerTelemetry.ActivitySource.StartActivity(full ? "broker.client.load" : "broker.client.refresh");
        var query = new List<string>(2);
        if (!full && state.Cursor is not null)
        {
            query.Add("since=" + Uri.EscapeDataString(state.Cursor));
        }

        if (wait is TimeSpan w)
        {
            query.Add("wait=" + ((int)Math.Ceiling(w.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, query.Count == 0 ? FeedPath : FeedPath + "?" + string.Join('&', query));
        if (!full && state.ETag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", state.ETag);
        }

        // A long-poll is abandoned LongPollWait + 5 s after it was sent without an answer.
        var timeout = wait is TimeSpan lw ? lw + TimeSpan.FromSeconds(5) : _options.RequestTimeout;
        using var timeoutCts = new CancellationTokenSource(timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BrokerException($"The broker did not answer within {timeout.TotalSeconds:0.#} s.", 0, null, ex);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                activity?.SetTag("http.response.status_code", 304);
                RecordSuccess(state);
                return;
            }

            if (!response.IsSuccessStatusCode)
            {
                var error = await ReadErrorAsync(response, null, linked.Token).ConfigureAwait(false);
                if (!full && response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Gone)
                {
                    // The broker no longer knows our cursor: the next attempt reloads everything.
                    _needsFullLoad = true;
                }

                activity?.SetStatus(ActivityStatusCode.Error, error.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                throw error;
            }

            var feed = await response.Content.ReadFromJsonAsync<FeedDto>(Wire.Json, linked.Token).ConfigureAwait(false)
                ?? throw new BrokerException("The broker sent an empty credentials feed.", (int)response.StatusCode);
            var etag = response.Headers.ETag?.ToString();
            Apply(feed, full, etag);
            activity?.SetTag("broker.changed", feed.Credentials?.Count ?? 0);
        }
    }

    private void Apply(FeedDto feed, bool full, string? etag)
    {
        List<string>? changed = null;
        List<string>? removed = null;
        CacheState next;
        lock (_applyLock)
        {
            var old = _state;
            var map = full
                ? new Dictionary<string, BrokerCredential>(StringComparer.Ordinal)
                : new Dictionary<string, BrokerCredential>(old.Credentials, StringComparer.Ordinal);
            foreach (var dto in feed.Credentials ?? [])
            {
                var credential = dto.ToModel();
                if (!old.Credentials.TryGetValue(credential.Name, out var before) || before.Version != credential.Version || !SecretEquals(before.Value, credential.Value) || before.Kind != credential.Kind)
                {
                    (changed ??= new()).Add(credential.Name);
                }

                map[credential.Name] = credential;
            }

            foreach (var name in feed.Removed ?? [])
            {
                if (map.Remove(name))
                {
                    (removed ??= new()).Add(name);
                }
            }

            if (full)
            {
                foreach (var name in old.Credentials.Keys)
                {
                    if (!map.ContainsKey(name) && !(removed?.Contains(name) ?? false))
                    {
                        (removed ??= new()).Add(name);
                    }
                }
            }

            _redactor.AddRange(map.Values);
            next = changed is null && removed is null && !full
                ? new CacheState(old.Credentials, feed.Cursor ?? old.Cursor, etag)
                : new CacheState(map.ToFrozenDictionary(StringComparer.Ordinal), feed.Cursor ?? old.Cursor, etag);
            _state = next;
            _needsFullLoad = false;
        }

        RecordSuccess(next);
        if (changed is not null || removed is not null || full)
        {
            _diskCache?.Save(next, _options.TimeProvider.GetUtcNow());
        }

        if (changed is not null || removed is not null)
        {
            _logger.LogInformation("Broker credentials changed: {Changed} updated, {Removed} removed.", changed?.Count ?? 0, removed?.Count ?? 0);
            RaiseChanged(new CredentialsChangedEventArgs((IReadOnlyList<string>?)changed ?? Array.Empty<string>(), (IReadOnlyList<string>?)removed ?? Array.Empty<string>()));
        }
    }

    private void RaiseChanged(CredentialsChangedEventArgs args)
    {
        var handlers = CredentialsChanged;
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<EventHandler<CredentialsChangedEventArgs>>())
        {
            try
            {
                handler(this, args);
            }
            catch (Exception ex)
            {
                _logger.LogError("A CredentialsChanged handler threw {ExceptionType}.", ex.GetType().FullName);
            }
        }
    }

    private bool TryStartFromDiskCache()
    {
        var cached = _diskCache?.TryLoad(out _);
        if (cached is null)
        {
            return false;
        }

        lock (_applyLock)
        {
            _state = cached;
            _needsFullLoad = true;
            _redactor.AddRange(cached.Credentials.Values);
        }

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
        var message = Describe(ex);
        var current = _status;
        _status = new BrokerClientStatus(current.IsReady, current.LastRefreshed, message, current.Cursor, current.FromDiskCache);
        _logger.LogWarning("Broker refresh failed, keeping the last good values: {Error}", message);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, string? credentialName, CancellationToken cancellationToken, Activity? activity = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var timeoutCts = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "timeout");
            throw new BrokerException($"The broker did not answer within {_options.RequestTimeout.TotalSeconds:0.#} s.", 0, null, ex);
        }
        catch (HttpRequestException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "unreachable");
            throw new BrokerException($"The broker at {_http.BaseAddress} could not be reached ({Describe(ex)}).", 0, null, ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var error = await ReadErrorAsync(response, credentialName, linked.Token).ConfigureAwait(false);
                activity?.SetStatus(ActivityStatusCode.Error, error.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                throw error;
            }

            try
            {
                return await response.Content.ReadFromJsonAsync<T>(Wire.Json, linked.Token).ConfigureAwait(false)
                    ?? throw new BrokerException("The broker sent an empty answer.", (int)response.StatusCode);
            }
            catch (JsonException)
            {
                // The JSON reader's message may quote the payload, which can hold a secret: never pass it on.
                throw new BrokerException("The broker sent an answer this client cannot read.", (int)response.StatusCode, null, new FormatException("Malformed JSON.", null));
            }
        }
    }

    private static async Task<BrokerException> ReadErrorAsync(HttpResponseMessage response, string? credentialName, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        ProblemDto? problem = null;
        try
        {
            if (response.Content.Headers.ContentType?.MediaType is { } media && media.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                problem = await response.Content.ReadFromJsonAsync<ProblemDto>(Wire.Json, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException)
        {
        }

        var message = problem?.Detail ?? problem?.Title ?? $"The broker answered {status} {response.ReasonPhrase}.";
        if (status == 404 && credentialName is not null)
        {
            return new CredentialNotFoundException(credentialName, 404, message, problem?.Type);
        }

        return new BrokerException(message, status, problem?.Type);
    }

    private static bool SecretEquals(string a, string b)
        => CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(a.AsSpan()), MemoryMarshal.AsBytes(b.AsSpan()));
}
