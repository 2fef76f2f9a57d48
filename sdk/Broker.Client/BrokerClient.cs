using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Broker.Client.Internal;
using Microsoft.Extensions.Logging;

namespace Broker.Client;

/// <summary>
/// The agent's connection to the broker: a local cache of outbound credentials kept fresh in the background,
/// placeholders, a redactor, and just-in-time tokens, AWS credentials and inbound key checks.
/// </summary>
/// <remarks>
/// Thread-safe. One per process is the pattern; several work. A façade over the REST client
/// (<c>BrokerRestClient</c>), the cache (<c>CredentialCache</c>) and the feed poller (<c>FeedPoller</c>).
/// </remarks>
public class BrokerClient : IAsyncDisposable
{
    private readonly BrokerClientOptions _options = null!;
    private readonly BrokerRestClient _rest = null!;
    private readonly CredentialCache _cache = null!;
    private readonly FeedPoller _poller = null!;
    private readonly SecretRedactor _redactor = null!;
    private readonly BrokerTelemetry _telemetry = null!;
    private readonly ILogger _logger = null!;
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
        : this(WithEndpoint(options, endpoint, apiKey ?? throw new ArgumentNullException(nameof(apiKey))))
    {
    }

    /// <summary>
    /// Creates a client for <paramref name="endpoint"/> authenticating with <paramref name="credential"/>, whose key can be
    /// replaced while the client runs (<see cref="BrokerKeyCredential.Update"/>): the next request uses the new key.
    /// </summary>
    /// <param name="endpoint">The broker's base address.</param>
    /// <param name="credential">The agent key.</param>
    /// <param name="options">Everything else; its <see cref="BrokerClientOptions.Endpoint"/> and <see cref="BrokerClientOptions.ApiKey"/> are ignored.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> or <paramref name="credential"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public BrokerClient(Uri endpoint, BrokerKeyCredential credential, BrokerClientOptions? options = null)
        : this(WithEndpoint(options, endpoint, null), credential ?? throw new ArgumentNullException(nameof(credential)))
    {
    }

    /// <summary>
    /// Creates a client from options that carry <see cref="BrokerClientOptions.Endpoint"/> and either
    /// <see cref="BrokerClientOptions.ApiKey"/> or both <see cref="BrokerClientOptions.WorkloadTokenPath"/> and
    /// <see cref="BrokerClientOptions.WorkloadProfile"/> (workload login, no static secret).
    /// </summary>
    /// <param name="options">The options; copied, so later changes have no effect.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The endpoint is missing, there is neither a key nor both workload options, or an option is out of range.</exception>
    public BrokerClient(BrokerClientOptions options)
        : this(options, KeyFrom(options))
    {
    }

    private BrokerClient(BrokerClientOptions options, BrokerKeyCredential? credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Endpoint is null)
        {
            throw new ArgumentException("BrokerClientOptions.Endpoint is required.", nameof(options));
        }

        Validate(options);
        _options = options.Clone();
        _options.TimeProvider ??= TimeProvider.System;
        Logging = new LateBoundLoggerFactory(_options.LoggerFactory);
        _logger = Logging.CreateLogger<BrokerClient>();
        _redactor = new SecretRedactor();
        _telemetry = new BrokerTelemetry(() => _poller?.Status.LastRefreshed is DateTimeOffset t ? (_options.TimeProvider.GetUtcNow() - t).TotalSeconds : null);
        _rest = new BrokerRestClient(_options, credential, _redactor);
        _cache = new CredentialCache(_redactor, _telemetry);
        var diskCache = _options.CacheDirectory is { Length: > 0 } dir
            ? new DiskCache(dir, _rest.Endpoint, credential?.Key ?? "workload:" + _options.WorkloadProfile + "\n" + _options.WorkloadTokenPath, _options.DataProtectionProvider ?? DefaultDataProtection.Instance, Logging.CreateLogger<DiskCache>())
            : null;
        _poller = new FeedPoller(_rest, _cache, diskCache, _options, _telemetry, _logger, RaiseChanged);
    }

    /// <summary>Fires once per change set applied to the cache, after the cache holds it, with the names (never values) that changed.</summary>
    /// <remarks>Raised on the refresh thread; a handler that throws is logged and does not stop refreshing.</remarks>
    public virtual event EventHandler<CredentialsChangedEventArgs>? CredentialsChanged;

    /// <summary>An immutable snapshot of the client's state.</summary>
    public virtual BrokerClientStatus Status => _poller.Status;

    /// <summary>Redacts every value this client holds or has held since it started.</summary>
    public virtual SecretRedactor Redactor => _redactor;

    internal BrokerClientOptions Options => _options;

    internal BrokerTelemetry Telemetry => _telemetry;

    /// <summary>Where the client and its configuration provider log; the host's factory is attached by <c>AddBrokerClient</c>.</summary>
    internal LateBoundLoggerFactory Logging { get; } = null!;

    /// <summary>The current immutable cache, for the configuration provider.</summary>
    internal IReadOnlyDictionary<string, BrokerCredential> Snapshot => _cache.State.Credentials;

    /// <summary>
    /// Loads every credential the key may read, then keeps the cache fresh in the background.
    /// When the broker cannot be reached within <see cref="BrokerClientOptions.StartTimeout"/>, starts from the
    /// encrypted disk cache if there is one (<see cref="BrokerClientStatus.FromDiskCache"/>). Calling it again does nothing.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="BrokerException">The broker could not be reached in time and there is no disk cache (<see cref="BrokerException.Status"/> 0), or it refused the key (401, 403).</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public virtual Task StartAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _poller.StartAsync(cancellationToken);
    }

    /// <summary>Returns the cached credential <paramref name="name"/>. Reads memory only: no I/O, no allocation.</summary>
    /// <param name="name">The credential's name.</param>
    /// <returns>The credential.</returns>
    /// <exception cref="CredentialNotFoundException">The cache does not hold <paramref name="name"/> (<see cref="BrokerException.Status"/> 0).</exception>
    public virtual BrokerCredential GetCredential(string name)
    {
        if (_cache.TryGet(name, out var credential))
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
        => _cache.TryGet(name, out credential);

    /// <summary>Asks the broker for the value of <paramref name="name"/> stored for <paramref name="subject"/> (a user). Nothing is cached.</summary>
    /// <param name="name">The credential's name.</param>
    /// <param name="subject">The user the agent acts for.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The per-subject credential.</returns>
    /// <exception cref="ArgumentException">An argument is null or empty.</exception>
    /// <exception cref="CredentialNotFoundException">The subject has no value for it (404).</exception>
    /// <exception cref="BrokerException">The broker refused (403, …) or could not be reached (0).</exception>
    public virtual Task<BrokerCredential> GetCredentialForSubjectAsync(string name, string subject, CancellationToken cancellationToken = default) =>
        GetCredentialForSubjectAsync(name, subject, null, cancellationToken);

    /// <summary>
    /// Asks the broker for the value of <paramref name="name"/> stored for <paramref name="subject"/>, proving that user
    /// with <paramref name="proof"/> (needed unless the key is granted <c>subjects: "any"</c>). Nothing is cached.
    /// </summary>
    /// <param name="name">The credential's name.</param>
    /// <param name="subject">The user the agent acts for.</param>
    /// <param name="proof">The user's assertion or caller key; null sends none.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The per-subject credential.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> or <paramref name="subject"/> is null or empty.</exception>
    /// <exception cref="CredentialNotFoundException">The subject has no value for it (404).</exception>
    /// <exception cref="BrokerException">The broker refused (403: the user is not proven, …) or could not be reached (0).</exception>
    public virtual async Task<BrokerCredential> GetCredentialForSubjectAsync(string name, string subject, UserProof? proof, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ThrowIfDisposed();
        var credential = (await _rest.GetCredentialAsync(name, subject, proof, cancellationToken).ConfigureAwait(false)).ToModel();
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
        if (_cache.TryResolve(text, out var result, out var missing))
        {
            return result;
        }

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
        ThrowIfDisposed();
        using var activity = BrokerTelemetry.ActivitySource.StartActivity("broker.client.mint_token");
        activity?.SetTag("broker.audience", request.Audience);
        var dto = await Traced(_rest.MintTokenAsync(Mints.ToDto(request), cancellationToken), activity).ConfigureAwait(false);
        return Mints.ToModel(dto);
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
        var body = Mints.ToDto(request);
        ThrowIfDisposed();
        using var activity = BrokerTelemetry.ActivitySource.StartActivity("broker.client.mint_sts");
        activity?.SetTag("broker.credential", request.Credential);
        var dto = await Traced(_rest.MintStsAsync(body, cancellationToken), activity).ConfigureAwait(false);
        _redactor.Add(request.Credential + ":session", dto.SecretAccessKey);
        _redactor.Add(request.Credential + ":session", dto.SessionToken);
        return Mints.ToModel(dto);
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
        ThrowIfDisposed();
        var dto = await _rest.VerifyInboundKeyAsync(new VerifyRequestDto { Key = key, Agent = agent }, cancellationToken).ConfigureAwait(false);
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

        if (_poller is not null)
        {
            await _poller.DisposeAsync().ConfigureAwait(false);
        }

        _rest?.Dispose();
        _telemetry?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static BrokerClientOptions WithEndpoint(BrokerClientOptions? options, Uri endpoint, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var copy = options?.Clone() ?? new BrokerClientOptions();
        copy.Endpoint = endpoint;
        copy.ApiKey = apiKey;
        return copy;
    }

    private static BrokerKeyCredential? KeyFrom(BrokerClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Endpoint is null)
        {
            throw new ArgumentException("BrokerClientOptions.Endpoint is required.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            // No static secret: the client logs in with the workload's token file (null: no key credential).
            return !string.IsNullOrWhiteSpace(options.WorkloadTokenPath) && !string.IsNullOrWhiteSpace(options.WorkloadProfile)
                ? null
                : throw new ArgumentException("BrokerClientOptions needs ApiKey, or both WorkloadTokenPath and WorkloadProfile.", nameof(options));
        }

        return new BrokerKeyCredential(options.ApiKey);
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

    private static async Task<T> Traced<T>(Task<T> call, Activity? activity)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (BrokerException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Status == 0 ? "unreachable" : ex.Status.ToString(CultureInfo.InvariantCulture));
            throw;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

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
}
