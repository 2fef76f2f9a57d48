using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Broker.Client.Internal;

/// <summary>
/// The broker's agent API over HTTP: one method per route, the agent key on every request, per-request timeouts,
/// and every failure turned into a <see cref="BrokerException"/> (<see cref="BrokerErrors"/>). No retries and no
/// state beyond the connection: the feed poller and the façade decide what to do with an answer.
/// </summary>
internal sealed class BrokerRestClient : IDisposable
{
    private const string FeedPath = "v1/agent/credentials";
    private const string ApprovalHeader = "Broker-Approval";

    private static readonly Dictionary<string, string> EmptyHeaders = new(StringComparer.Ordinal);

    private readonly HttpClient _http;
    private readonly BrokerKeyCredential? _credential;
    private readonly WorkloadSession? _session;
    private readonly string? _workloadTokenPath;
    private readonly string? _workloadProfile;
    private readonly SecretRedactor _redactor;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly TimeSpan _approvalTimeout;

    /// <summary>A client for the options' endpoint; <paramref name="credential"/> null: log in with the options' workload token file and profile.</summary>
    public BrokerRestClient(BrokerClientOptions options, BrokerKeyCredential? credential, SecretRedactor redactor)
    {
        _credential = credential;
        if (credential is null)
        {
            _workloadTokenPath = options.WorkloadTokenPath;
            _workloadProfile = options.WorkloadProfile;
            _session = new WorkloadSession(LoginAsync, options.TimeProvider);
        }

        _redactor = redactor;
        _requestTimeout = options.RequestTimeout;
        _time = options.TimeProvider;
        _approvalTimeout = options.ApprovalTimeout;
        Endpoint = new Uri(options.Endpoint!.AbsoluteUri.TrimEnd('/') + "/");

        // The broker never redirects: the agent key is not sent after a redirect to anywhere.
        var handler = options.HttpMessageHandler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            AllowAutoRedirect = false,
        };
        _http = new HttpClient(handler, disposeHandler: true) { BaseAddress = Endpoint, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Broker.Client", typeof(BrokerRestClient).Assembly.GetName().Version?.ToString(3) ?? "1.0.0"));
    }

    /// <summary>The broker's base address, ending in <c>/</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>
    /// <c>GET /v1/agent/credentials</c>: everything (<paramref name="since"/> null) or the changes after a cursor,
    /// conditional on <paramref name="etag"/>, held by the broker up to <paramref name="wait"/> when given.
    /// </summary>
    /// <remarks>A long-poll is abandoned <paramref name="wait"/> + 5 s after it was sent without an answer.</remarks>
    public async Task<FeedPage> GetFeedAsync(string? since, string? etag, TimeSpan? wait, CancellationToken cancellationToken)
    {
        var query = new StringBuilder(FeedPath);
        if (since is not null)
        {
            query.Append("?since=").Append(Uri.EscapeDataString(since));
        }

        if (wait is TimeSpan w)
        {
            query.Append(since is null ? '?' : '&').Append("wait=").Append(((int)Math.Ceiling(w.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, query.ToString());
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        var timeout = wait is TimeSpan lw ? lw + TimeSpan.FromSeconds(5) : _requestTimeout;
        using var response = await SendAsync(request, timeout, credentialName: null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return FeedPage.NotModified;
        }

        var feed = await ReadAsync<FeedDto>(response, cancellationToken).ConfigureAwait(false);
        return new FeedPage(feed, response.Headers.ETag?.ToString());
    }

    /// <summary><c>GET /v1/agent/credentials/{name}?subject=</c> with proof of that user.</summary>
    public async Task<CredentialDto> GetCredentialAsync(string name, string subject, UserProof? proof, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{FeedPath}/{Uri.EscapeDataString(name)}?subject={Uri.EscapeDataString(subject)}");
        AddProof(request, proof);
        using var response = await SendAsync(request, _requestTimeout, name, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<CredentialDto>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /v1/tokens</c>.</summary>
    public Task<TokenDto> MintTokenAsync(TokenRequestDto body, CancellationToken cancellationToken)
        => PostAsync<TokenRequestDto, TokenDto>("v1/tokens", body, body.UserProof, cancellationToken);

    /// <summary><c>POST /v1/sts</c>.</summary>
    public Task<StsDto> MintStsAsync(StsRequestDto body, CancellationToken cancellationToken)
        => PostAsync<StsRequestDto, StsDto>("v1/sts", body, body.UserProof, cancellationToken);

    /// <summary><c>POST /v1/inbound/verify</c>.</summary>
    public Task<VerifyDto> VerifyInboundKeyAsync(VerifyRequestDto body, CancellationToken cancellationToken)
        => PostAsync<VerifyRequestDto, VerifyDto>("v1/inbound/verify", body, null, cancellationToken);

    /// <summary>
    /// Any route: <paramref name="body"/> as JSON (none when null), extra headers, the answer's body read as
    /// <typeparamref name="TResponse"/> (default for a 204). For the admin client, whose routes are many and plain.
    /// </summary>
    /// <returns>The status of the success answer and its body.</returns>
    public async Task<(int Status, TResponse? Body)> SendJsonAsync<TResponse>(
        HttpMethod method, string path, object? body, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Wire.Json);
        }

        foreach (var (name, value) in headers ?? EmptyHeaders)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await SendAsync(request, _requestTimeout, credentialName: null, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.NoContent || response.Content.Headers.ContentLength == 0)
        {
            return (status, default);
        }

        return (status, await ReadAsync<TResponse>(response, cancellationToken).ConfigureAwait(false));
    }

    public void Dispose() => _http.Dispose();

    private static void AddProof(HttpRequestMessage request, UserProof? proof)
    {
        if (proof is not null)
        {
            request.Headers.TryAddWithoutValidation(proof.Header, proof.Value);
        }
    }

    private async Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest body, UserProof? proof, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Wire.Json) };
        AddProof(request, proof);
        using var response = await SendAsync(request, _requestTimeout, credentialName: null, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<TResponse>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends with the current agent key; returns a success or 304 answer with its body buffered, throws for anything else.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, TimeSpan timeout, string? credentialName, CancellationToken cancellationToken)
    {
        // Read at every request, so a BrokerKeyCredential.Update (or a renewed login) applies to the very next one.
        var key = _session is null ? _credential!.Key : await _session.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var timeoutCts = new CancellationTokenSource(timeout, _time);
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
        catch (HttpRequestException ex)
        {
            throw new BrokerException($"The broker at {Endpoint} could not be reached ({BrokerErrors.Describe(ex)}).", 0, null, ex);
        }

        if (response.StatusCode == HttpStatusCode.Accepted && !request.Headers.Contains(ApprovalHeader))
        {
            return await AfterApprovalAsync(request, response, timeout, credentialName, cancellationToken).ConfigureAwait(false);
        }

        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
        {
            return response;
        }

        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            _session?.Invalidate(key);
        }

        using (response)
        {
            throw await BrokerErrors.FromResponseAsync(response, credentialName, Sanitize, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The one place every call waits for a human (API.md v1.1 "Approvals"): a 202 names an approval; long-poll it
    /// (≤ 60 s a poll) until decided or <see cref="BrokerClientOptions.ApprovalTimeout"/>, then send the same request
    /// again with <c>Broker-Approval</c>. Denied, expired or no decision in time: <see cref="ApprovalException"/>.
    /// </summary>
    private async Task<HttpResponseMessage> AfterApprovalAsync(
        HttpRequestMessage asked, HttpResponseMessage held, TimeSpan timeout, string? credentialName, CancellationToken cancellationToken)
    {
        string id;
        using (held)
        {
            id = (await ReadAsync<ApprovalStateDto>(held, cancellationToken).ConfigureAwait(false)).ApprovalId ?? throw BrokerErrors.Unreadable(202);
        }

        var deadline = _time.GetUtcNow() + _approvalTimeout;
        while (true)
        {
            var remaining = deadline - _time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                throw new ApprovalException(id, ApprovalOutcome.TimedOut);
            }

            var wait = (int)Math.Clamp(Math.Ceiling(remaining.TotalSeconds), 1, 60);
            using var poll = new HttpRequestMessage(HttpMethod.Get, $"v1/approvals/{Uri.EscapeDataString(id)}?wait={wait.ToString(CultureInfo.InvariantCulture)}");
            using var answer = await SendAsync(poll, TimeSpan.FromSeconds(wait + 5), null, cancellationToken).ConfigureAwait(false);
            var state = await ReadAsync<ApprovalStateDto>(answer, cancellationToken).ConfigureAwait(false);
            switch (state.Status)
            {
                case "approved":
                    using (var repeat = new HttpRequestMessage(asked.Method, asked.RequestUri))
                    {
                        foreach (var (name, values) in asked.Headers.Where(h => h.Key != "Authorization"))
                        {
                            repeat.Headers.TryAddWithoutValidation(name, values);
                        }

                        if (asked.Content is { } content)
                        {
                            repeat.Content = new ByteArrayContent(await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
                            repeat.Content.Headers.ContentType = content.Headers.ContentType;
                        }

                        repeat.Headers.TryAddWithoutValidation(ApprovalHeader, id);
                        return await SendAsync(repeat, timeout, credentialName, cancellationToken).ConfigureAwait(false);
                    }

                case "denied":
                    throw new ApprovalException(id, ApprovalOutcome.Denied, state.Reason);
                case "expired":
                    throw new ApprovalException(id, ApprovalOutcome.Expired);
            }
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Wire.Json, cancellationToken).ConfigureAwait(false)
                ?? throw new BrokerException("The broker sent an empty answer.", (int)response.StatusCode);
        }
        catch (JsonException)
        {
            throw BrokerErrors.Unreadable((int)response.StatusCode);
        }
    }

    private string Sanitize(string text)
    {
        var key = _credential?.Key ?? _session?.CurrentToken;
        return _redactor.Redact(key is not null && text.Contains(key, StringComparison.Ordinal) ? text.Replace(key, "***", StringComparison.Ordinal) : text);
    }

    /// <summary>
    /// <c>POST /v1/oauth/token</c> (RFC 8693): the workload token file, read again at every login (Kubernetes rotates
    /// projected tokens), exchanged for an access token. No key is sent.
    /// </summary>
    /// <exception cref="BrokerException">The file could not be read (0), the broker refused (400, with the RFC 6749 error code as <see cref="BrokerException.ErrorCode"/>) or could not be reached (0).</exception>
    private async Task<(string Token, TimeSpan Lifetime)> LoginAsync(CancellationToken cancellationToken)
    {
        string subjectToken;
        try
        {
            subjectToken = (await File.ReadAllTextAsync(_workloadTokenPath!, cancellationToken).ConfigureAwait(false)).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BrokerException($"The workload token file could not be read ({ex.GetType().Name}).", 0, null, ex);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/oauth/token")
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
                new("subject_token", subjectToken),
                new("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
                new("resource", _workloadProfile!),
            ]),
        };
        using var timeoutCts = new CancellationTokenSource(_requestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BrokerException($"The broker did not answer the workload login within {_requestTimeout.TotalSeconds:0.#} s.", 0, null, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new BrokerException($"The broker at {Endpoint} could not be reached ({BrokerErrors.Describe(ex)}).", 0, null, ex);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                var error = (await ReadAsync<OAuthErrorDto>(response, cancellationToken).ConfigureAwait(false)).Error ?? "invalid_request";
                throw new BrokerException($"The broker refused the workload login for profile '{_workloadProfile}' ({error}).", 400, error);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await BrokerErrors.FromResponseAsync(response, null, _redactor.Redact, cancellationToken).ConfigureAwait(false);
            }

            var answer = await ReadAsync<OAuthTokenDto>(response, cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(answer.AccessToken) || answer.ExpiresIn <= 0)
            {
                throw BrokerErrors.Unreadable((int)response.StatusCode);
            }

            _redactor.Add("broker:workload-access-token", answer.AccessToken);
            return (answer.AccessToken, TimeSpan.FromSeconds(answer.ExpiresIn));
        }
    }
}
