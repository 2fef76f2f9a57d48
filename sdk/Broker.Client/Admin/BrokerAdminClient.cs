using System.Globalization;
using System.Text;
using Broker.Client.Internal;

namespace Broker.Client.Admin;

/// <summary>
/// The broker's management API for admins and incident responders: keys, credentials (never their values), the
/// audit trail, signing keys and approvals; and, with an agent key, one-off mints to test a grant.
/// </summary>
/// <remarks>
/// Thread-safe; holds one connection pool. Every refusal is a <see cref="BrokerException"/> carrying the HTTP
/// status and the problem's <c>type</c>, and its message never holds a secret value or key. Members marked v1.1 are
/// written against the v1.1 contract and need a broker that serves those routes.
/// </remarks>
public class BrokerAdminClient : IDisposable
{
    private readonly BrokerRestClient _rest = null!;
    private int _disposed;

    /// <summary>For mocking only: every member of a client made this way must be set up by the mock.</summary>
    protected BrokerAdminClient()
    {
    }

    /// <summary>Creates a client for <paramref name="endpoint"/> authenticating with <paramref name="apiKey"/>.</summary>
    /// <param name="endpoint">The broker's base address.</param>
    /// <param name="apiKey">An admin or responder key (an agent key for the mints).</param>
    /// <param name="options">Everything else; its <see cref="BrokerAdminClientOptions.Endpoint"/> and <see cref="BrokerAdminClientOptions.ApiKey"/> are ignored.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> or <paramref name="apiKey"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="apiKey"/> is empty or the timeout is not positive.</exception>
    public BrokerAdminClient(Uri endpoint, string apiKey, BrokerAdminClientOptions? options = null)
        : this(new BrokerAdminClientOptions
        {
            Endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint)),
            ApiKey = apiKey ?? throw new ArgumentNullException(nameof(apiKey)),
            RequestTimeout = options?.RequestTimeout ?? TimeSpan.FromSeconds(30),
            TimeProvider = options?.TimeProvider ?? TimeProvider.System,
            HttpMessageHandler = options?.HttpMessageHandler,
        })
    {
    }

    /// <summary>Creates a client from options that carry <see cref="BrokerAdminClientOptions.Endpoint"/> and <see cref="BrokerAdminClientOptions.ApiKey"/>.</summary>
    /// <param name="options">The options; read once.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The endpoint or key is missing, or the timeout is not positive.</exception>
    public BrokerAdminClient(BrokerAdminClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Endpoint is null)
        {
            throw new ArgumentException("BrokerAdminClientOptions.Endpoint is required.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new ArgumentException("BrokerAdminClientOptions.ApiKey is required.", nameof(options));
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("RequestTimeout must be positive.", nameof(options));
        }

        var restOptions = new BrokerClientOptions
        {
            Endpoint = options.Endpoint,
            RequestTimeout = options.RequestTimeout,
            TimeProvider = options.TimeProvider ?? TimeProvider.System,
            HttpMessageHandler = options.HttpMessageHandler,
        };
        _rest = new BrokerRestClient(restOptions, new BrokerKeyCredential(options.ApiKey), new SecretRedactor());
        Endpoint = _rest.Endpoint;
    }

    /// <summary>The broker's base address.</summary>
    public virtual Uri Endpoint { get; } = null!;

    // ---- Keys ------------------------------------------------------------------------------------------------

    /// <summary>Issues a key (<c>POST /v1/keys</c>, admin). Its secret is in the result and never shown again.</summary>
    /// <param name="options">What the key is.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The key with its secret.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="BrokerException">Invalid (400), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerIssuedKey> CreateKeyAsync(CreateKeyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var body = new
        {
            name = options.Name,
            role = options.Role,
            tenant = options.Tenant,
            credentials = NullIfEmpty(options.Credentials),
            agents = NullIfEmpty(options.Agents),
            verifyAs = NullIfEmpty(options.VerifyAs),
            rateLimitPerMinute = options.RateLimitPerMinute,
            quotaPerDay = options.QuotaPerDay,
            expiresAt = options.ExpiresAt,
            tokens = options.Tokens,
            sts = options.Sts,
            subjects = options.Subjects,
            approval = options.Approval,
        };
        return await SendAsync<BrokerIssuedKey>(HttpMethod.Post, "v1/keys", body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// v1.1: changes what a key may do (<c>PATCH /v1/keys/{id}</c>, admin). A narrowing holds on every replica before
    /// this returns.
    /// </summary>
    /// <param name="id">The key's id.</param>
    /// <param name="options">The fields to change; a null property stays as it is.</param>
    /// <param name="cancellationToken">Cancels waiting for the answer.</param>
    /// <returns>The key as listed after the change.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="BrokerException">Invalid (400), no such key (404), not allowed (401, 403), or the broker could not answer (0, 5xx, or 404/405 from a broker without v1.1).</exception>
    public virtual async Task<BrokerKey> UpdateKeyAsync(string id, UpdateKeyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(options);

        // The options are the PATCH body field for field; a null property is left off the wire, which the broker reads as unchanged.
        return await SendAsync<BrokerKey>(HttpMethod.Patch, $"v1/keys/{Escape(id)}", options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the tenant's keys (<c>GET /v1/keys</c>, admin or responder): prefixes, status and last use, never a secret.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Every key of the caller's tenant.</returns>
    /// <exception cref="BrokerException">Not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<IReadOnlyList<BrokerKey>> ListKeysAsync(CancellationToken cancellationToken = default)
        => (await SendAsync<ItemsDto<BrokerKey>>(HttpMethod.Get, "v1/keys", null, cancellationToken).ConfigureAwait(false)).Items ?? [];

    /// <summary>Describes one key of the tenant by id.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null or empty.</exception>
    /// <exception cref="BrokerException">No such key in the tenant (404), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerKey> GetKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);

        // The broker has no route for one key; its list is the tenant's and small, so the client picks from it.
        var keys = await ListKeysAsync(cancellationToken).ConfigureAwait(false);
        return keys.FirstOrDefault(k => string.Equals(k.Id, id, StringComparison.Ordinal))
            ?? throw new BrokerException("No key with that id in this tenant.", 404, "urn:broker:problem:not-found");
    }

    /// <summary>Issues a new secret for a key (<c>POST /v1/keys/{id}/rotate</c>, admin); the old one keeps working for <paramref name="grace"/>.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="grace">How long the old secret keeps working; null: it stops now.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The key with its new secret.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null or empty.</exception>
    /// <exception cref="BrokerException">No such key (404), revoked or expired (409), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerIssuedKey> RotateKeyAsync(string id, TimeSpan? grace = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var body = new { graceSeconds = grace is TimeSpan g ? (int?)Math.Ceiling(g.TotalSeconds) : null };
        return await SendAsync<BrokerIssuedKey>(HttpMethod.Post, $"v1/keys/{Escape(id)}/rotate", body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes a key (<c>POST /v1/keys/{id}/revoke</c>, admin or responder): once this returns, nothing it sends succeeds.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="cancellationToken">Cancels waiting for the answer; a revoke the broker began still completes.</param>
    /// <returns>The revocation.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null or empty.</exception>
    /// <exception cref="BrokerException">No such key (404), not allowed (401, 403), or the broker could not answer (0, 5xx; a 503 revoke still stands).</exception>
    public virtual async Task<BrokerKeyRevocation> RevokeKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return await SendAsync<BrokerKeyRevocation>(HttpMethod.Post, $"v1/keys/{Escape(id)}/revoke", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Revokes the key a leaked value belongs to and reports which key it was and where it was used
    /// (<c>POST /v1/keys/revoke-leaked</c>, admin or responder).
    /// </summary>
    /// <param name="leakedKey">The leaked value. Sent in the body only; never in a message.</param>
    /// <param name="cancellationToken">Cancels waiting for the answer.</param>
    /// <returns>The key, its revocation and its recent use.</returns>
    /// <exception cref="ArgumentException"><paramref name="leakedKey"/> is null or empty.</exception>
    /// <exception cref="BrokerException">The value matches no key of the tenant (404), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerLeakedKeyReport> RevokeLeakedKeyAsync(string leakedKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leakedKey);
        return await SendAsync<BrokerLeakedKeyReport>(HttpMethod.Post, "v1/keys/revoke-leaked", new { key = leakedKey }, cancellationToken).ConfigureAwait(false);
    }

    // ---- Credentials -----------------------------------------------------------------------------------------

    /// <summary>Stores a credential's value (<c>PUT /v1/credentials/{name}</c>, admin): first value, new version, or unchanged.</summary>
    /// <param name="name">The credential's name.</param>
    /// <param name="options">The value and metadata.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The credential as stored (never its value) and whether it was created.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="BrokerException">Invalid (400, 413), <see cref="SetCredentialOptions.IfMatchVersion"/> did not match (412), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerCredentialWriteResult> SetCredentialAsync(string name, SetCredentialOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        var body = new
        {
            value = options.Value,
            kind = options.Kind,
            labels = options.Labels.Count == 0 ? null : new Dictionary<string, string>(options.Labels, StringComparer.Ordinal),
            agentAccess = options.AgentAccess,
        };
        Dictionary<string, string>? headers = options.IfMatchVersion is int v
            ? new(StringComparer.Ordinal) { ["If-Match"] = "\"" + v.ToString(CultureInfo.InvariantCulture) + "\"" }
            : null;
        var (status, credential) = await _rest.SendJsonAsync<BrokerCredentialInfo>(HttpMethod.Put, CredentialPath(name, options.Subject), body, headers, cancellationToken)
            .ConfigureAwait(false);
        return new BrokerCredentialWriteResult(credential ?? throw EmptyAnswer(status), status == 201);
    }

    /// <summary>Lists the tenant's credentials (<c>GET /v1/credentials</c>, admin): metadata only.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Every credential, shared and per-user.</returns>
    /// <exception cref="BrokerException">Not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<IReadOnlyList<BrokerCredentialInfo>> ListCredentialsAsync(CancellationToken cancellationToken = default)
        => (await SendAsync<ItemsDto<BrokerCredentialInfo>>(HttpMethod.Get, "v1/credentials", null, cancellationToken).ConfigureAwait(false)).Items ?? [];

    /// <summary>Describes a credential with its versions (<c>GET /v1/credentials/{name}</c>, admin): never its value.</summary>
    /// <param name="name">The credential's name.</param>
    /// <param name="subject">A user's value; null for the shared value.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The credential and its versions.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="CredentialNotFoundException">No such credential (404).</exception>
    /// <exception cref="BrokerException">Not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerCredentialDetails> GetCredentialAsync(string name, string? subject = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return await NamedAsync(name, () => SendAsync<BrokerCredentialDetails>(HttpMethod.Get, CredentialPath(name, subject), null, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Deletes a credential with every per-user value (<c>DELETE /v1/credentials/{name}</c>, admin), or with <paramref name="subject"/> only that user's value.</summary>
    /// <param name="name">The credential's name.</param>
    /// <param name="subject">Only this user's value; null deletes everything.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the values are destroyed.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="CredentialNotFoundException">No such credential (404).</exception>
    /// <exception cref="BrokerException">Not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task DeleteCredentialAsync(string name, string? subject = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        await NamedAsync(name, async () =>
        {
            await SendAsync(HttpMethod.Delete, CredentialPath(name, subject), cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>v1.1: copies a Key Vault-backed credential now (<c>POST /v1/credentials/{name}/sync</c>, admin).</summary>
    /// <param name="name">The credential's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The credential after the copy.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="CredentialNotFoundException">No such credential (404).</exception>
    /// <exception cref="BrokerException">Not allowed (401, 403), not a synced credential (400, 409), or the broker could not answer (0, 5xx, or 404/405 from a broker without v1.1).</exception>
    public virtual async Task<BrokerCredentialDetails> SyncCredentialAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return await NamedAsync(name, () => SendAsync<BrokerCredentialDetails>(HttpMethod.Post, $"v1/credentials/{Escape(name)}/sync", null, cancellationToken)).ConfigureAwait(false);
    }

    // ---- Audit -----------------------------------------------------------------------------------------------

    /// <summary>Reads the tenant's audit records, oldest first (<c>GET /v1/audit</c>, admin or responder).</summary>
    /// <param name="query">Filters; null returns the first 100.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The records.</returns>
    /// <exception cref="BrokerException">Invalid filter (400), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<IReadOnlyList<BrokerAuditRecord>> QueryAuditAsync(AuditQueryOptions? query = null, CancellationToken cancellationToken = default)
    {
        var path = new StringBuilder("v1/audit");
        var separator = '?';
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                path.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
                separator = '&';
            }
        }

        Add("since", query?.Since?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        Add("action", query?.Action);
        Add("limit", query?.Limit?.ToString(CultureInfo.InvariantCulture));
        return (await SendAsync<ItemsDto<BrokerAuditRecord>>(HttpMethod.Get, path.ToString(), null, cancellationToken).ConfigureAwait(false)).Items ?? [];
    }

    /// <summary>Checks the tenant's hash chain on the broker (<c>GET /v1/audit/verify</c>, admin).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Whether it holds, how many records were read, and the first that fails.</returns>
    /// <exception cref="BrokerException">Not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual Task<BrokerAuditVerification> VerifyAuditAsync(CancellationToken cancellationToken = default)
        => SendAsync<BrokerAuditVerification>(HttpMethod.Get, "v1/audit/verify", null, cancellationToken);

    /// <summary>v1.1: checks the chain against checkpoints kept elsewhere (<c>POST /v1/audit/verify</c>, admin): a cut tail or rewritten chain fails.</summary>
    /// <param name="checkpoints">Signed heads saved earlier.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Whether the chain holds every checkpoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoints"/> is null.</exception>
    /// <exception cref="BrokerException">Invalid (400), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual Task<BrokerAuditVerification> VerifyAuditAsync(IEnumerable<BrokerAuditHead> checkpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        return SendAsync<BrokerAuditVerification>(HttpMethod.Post, "v1/audit/verify", new { checkpoints = checkpoints.ToArray() }, cancellationToken);
    }

    /// <summary>v1.1: the tenant's chain head signed by the broker's audit key (<c>GET /v1/audit/head</c>, admin or responder).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The signed head.</returns>
    /// <exception cref="BrokerException">Not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual Task<BrokerAuditHead> GetAuditHeadAsync(CancellationToken cancellationToken = default)
        => SendAsync<BrokerAuditHead>(HttpMethod.Get, "v1/audit/head", null, cancellationToken);

    /// <summary>
    /// Asks whether a secret value was ever served (<c>POST /v1/audit/value-reads</c>, admin). The question is itself
    /// audited (never the value) and limited per key.
    /// </summary>
    /// <param name="value">The suspect value. Sent in the body only; never in a message.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Every read of that exact value, newest first.</returns>
    /// <exception cref="ArgumentException"><paramref name="value"/> is null or empty.</exception>
    /// <exception cref="BrokerException">Not allowed (401, 403), too many questions (429), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<IReadOnlyList<BrokerAuditRecord>> FindValueReadsAsync(string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        return (await SendAsync<ItemsDto<BrokerAuditRecord>>(HttpMethod.Post, "v1/audit/value-reads", new { value }, cancellationToken).ConfigureAwait(false)).Items ?? [];
    }

    // ---- Just in time (agent key) ----------------------------------------------------------------------------

    /// <summary>Mints a token with this client's agent key (<c>POST /v1/tokens</c>), e.g. to test a grant.</summary>
    /// <param name="request">What to put in it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The token.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    /// <exception cref="BrokerException">Refused (400, 403, 429), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerToken> MintTokenAsync(TokenRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfDisposed();
        return Mints.ToModel(await _rest.MintTokenAsync(Mints.ToDto(request), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Gets AWS session credentials with this client's agent key (<c>POST /v1/sts</c>), e.g. to test a grant.</summary>
    /// <param name="request">Which credential, role, duration and session policy.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The session credentials.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    /// <exception cref="ArgumentException"><see cref="AwsCredentialsRequest.Policy"/> is not a JSON object.</exception>
    /// <exception cref="BrokerException">Refused (400, 403, 404), STS failed (502), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<AwsSessionCredentials> GetAwsCredentialsAsync(AwsCredentialsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = Mints.ToDto(request);
        ThrowIfDisposed();
        return Mints.ToModel(await _rest.MintStsAsync(body, cancellationToken).ConfigureAwait(false));
    }

    // ---- Signing keys (bootstrap admin key) ------------------------------------------------------------------

    /// <summary>Rotates the token signing key now (<c>POST /v1/signing-keys/rotate</c>, bootstrap admin key only).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new signing key's id.</returns>
    /// <exception cref="BrokerException">Not the bootstrap admin key (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual Task<SigningKeyRotation> RotateSigningKeyAsync(CancellationToken cancellationToken = default)
        => SendAsync<SigningKeyRotation>(HttpMethod.Post, "v1/signing-keys/rotate", null, cancellationToken);

    /// <summary>Retires a compromised signing key at once (<c>POST /v1/signing-keys/{kid}/retire</c>, bootstrap admin key only).</summary>
    /// <param name="kid">The signing key's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The retirement and the key that signs now.</returns>
    /// <exception cref="ArgumentException"><paramref name="kid"/> is null or empty.</exception>
    /// <exception cref="BrokerException">No such key (404), not the bootstrap admin key (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<SigningKeyRetirement> RetireSigningKeyAsync(string kid, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kid);
        return await SendAsync<SigningKeyRetirement>(HttpMethod.Post, $"v1/signing-keys/{Escape(kid)}/retire", null, cancellationToken).ConfigureAwait(false);
    }

    // ---- Approvals (v1.1) ------------------------------------------------------------------------------------

    /// <summary>v1.1: lists approvals (<c>GET /v1/approvals</c>, approver or admin).</summary>
    /// <param name="status">Only this status (<c>pending</c>, …); null: all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The approvals.</returns>
    /// <exception cref="BrokerException">Not allowed (401, 403), or the broker could not answer (0, 5xx, or 404 from a broker without v1.1).</exception>
    public virtual async Task<IReadOnlyList<BrokerApproval>> ListApprovalsAsync(string? status = null, CancellationToken cancellationToken = default)
    {
        var path = status is null ? "v1/approvals" : "v1/approvals?status=" + Uri.EscapeDataString(status);
        return (await SendAsync<ItemsDto<BrokerApproval>>(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false)).Items ?? [];
    }

    /// <summary>v1.1: approves a pending request (<c>POST /v1/approvals/{id}/approve</c>); the options may only narrow it.</summary>
    /// <param name="id">The approval's id.</param>
    /// <param name="options">A reason and narrowing; null approves as asked.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The approval, now approved.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null or empty.</exception>
    /// <exception cref="BrokerException">Widening (400), no such approval (404), already decided or expired (409), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerApproval> ApproveAsync(string id, ApproveOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var body = new { reason = options?.Reason, ttlSeconds = options?.TtlSeconds, scopes = options is null ? null : NullIfEmpty(options.Scopes) };
        return await SendAsync<BrokerApproval>(HttpMethod.Post, $"v1/approvals/{Escape(id)}/approve", body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>v1.1: denies a pending request (<c>POST /v1/approvals/{id}/deny</c>).</summary>
    /// <param name="id">The approval's id.</param>
    /// <param name="reason">Why.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The approval, now denied.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> or <paramref name="reason"/> is null or empty.</exception>
    /// <exception cref="BrokerException">No such approval (404), already decided or expired (409), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerApproval> DenyAsync(string id, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return await SendAsync<BrokerApproval>(HttpMethod.Post, $"v1/approvals/{Escape(id)}/deny", new { reason }, cancellationToken).ConfigureAwait(false);
    }

    // ---- Identity (v1.1) ----------------------------------------------------------------------------------------

    /// <summary>v1.1: the issuers the tenant trusts (<c>GET /v1/issuers</c>, admin).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Every trusted issuer of the caller's tenant.</returns>
    /// <exception cref="BrokerException">Not allowed (401, 403), or the broker could not answer (0, 5xx, or 404 from a broker without v1.1).</exception>
    public virtual async Task<IReadOnlyList<BrokerIssuer>> ListIssuersAsync(CancellationToken cancellationToken = default)
        => (await SendAsync<ItemsDto<BrokerIssuer>>(HttpMethod.Get, "v1/issuers", null, cancellationToken).ConfigureAwait(false)).Items ?? [];

    /// <summary>v1.1: trusts an issuer's JWTs for user assertions or workload logins (<c>POST /v1/issuers</c>, admin).</summary>
    /// <param name="options">The issuer.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The issuer as stored.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="BrokerException">Invalid (400), the name is taken (409), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerIssuer> CreateIssuerAsync(CreateIssuerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var body = new
        {
            name = options.Name,
            issuer = options.Issuer,
            jwksUri = options.JwksUri,
            jwks = options.Jwks,
            audiences = NullIfEmpty(options.Audiences),
            subjectClaim = options.SubjectClaim,
            use = options.Use,
        };
        return await SendAsync<BrokerIssuer>(HttpMethod.Post, "v1/issuers", body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>v1.1: stops trusting an issuer (<c>DELETE /v1/issuers/{name}</c>, admin); holds on every replica before this returns.</summary>
    /// <param name="name">The issuer's name.</param>
    /// <param name="cancellationToken">Cancels waiting for the answer.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="BrokerException">No such issuer (404), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task DeleteIssuerAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        await SendAsync(HttpMethod.Delete, $"v1/issuers/{Escape(name)}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>v1.1: the tenant's workload profiles (<c>GET /v1/workload-profiles</c>, admin).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Every workload profile of the caller's tenant.</returns>
    /// <exception cref="BrokerException">Not allowed (401, 403), or the broker could not answer (0, 5xx, or 404 from a broker without v1.1).</exception>
    public virtual async Task<IReadOnlyList<BrokerWorkloadProfile>> ListWorkloadProfilesAsync(CancellationToken cancellationToken = default)
        => (await SendAsync<ItemsDto<BrokerWorkloadProfile>>(HttpMethod.Get, "v1/workload-profiles", null, cancellationToken).ConfigureAwait(false)).Items ?? [];

    /// <summary>v1.1: one workload profile (<c>GET /v1/workload-profiles/{name}</c>, admin).</summary>
    /// <param name="name">The profile's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The profile.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="BrokerException">No such profile (404), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerWorkloadProfile> GetWorkloadProfileAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return await SendAsync<BrokerWorkloadProfile>(HttpMethod.Get, $"v1/workload-profiles/{Escape(name)}", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>v1.1: lets a workload identity log in as an agent key (<c>POST /v1/workload-profiles</c>, admin).</summary>
    /// <param name="options">The profile.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The profile as stored.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="BrokerException">Invalid (400), the name is taken (409), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerWorkloadProfile> CreateWorkloadProfileAsync(WorkloadProfileOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return await SendAsync<BrokerWorkloadProfile>(HttpMethod.Post, "v1/workload-profiles", ProfileBody(options), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// v1.1: replaces every field of a workload profile (<c>PUT /v1/workload-profiles/{name}</c>, admin). Every access
    /// token the old fields issued stops, on every replica, before this returns; workloads log in again.
    /// </summary>
    /// <param name="options">The profile's new fields; its <see cref="WorkloadProfileOptions.Name"/> names the profile.</param>
    /// <param name="cancellationToken">Cancels waiting for the answer.</param>
    /// <returns>The profile as stored.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="BrokerException">Invalid (400), no such profile (404), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task<BrokerWorkloadProfile> ReplaceWorkloadProfileAsync(WorkloadProfileOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Name);
        return await SendAsync<BrokerWorkloadProfile>(HttpMethod.Put, $"v1/workload-profiles/{Escape(options.Name)}", ProfileBody(options), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>v1.1: removes a workload profile (<c>DELETE /v1/workload-profiles/{name}</c>, admin); every access token it issued stops on every replica before this returns.</summary>
    /// <param name="name">The profile's name.</param>
    /// <param name="cancellationToken">Cancels waiting for the answer.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="BrokerException">No such profile (404), not allowed (401, 403), or the broker could not answer (0, 5xx).</exception>
    public virtual async Task DeleteWorkloadProfileAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        await SendAsync(HttpMethod.Delete, $"v1/workload-profiles/{Escape(name)}", cancellationToken).ConfigureAwait(false);
    }

    private static object ProfileBody(WorkloadProfileOptions options) => new
    {
        name = options.Name,
        issuer = options.Issuer,
        subject = options.Subject,
        claims = options.Claims.Count == 0 ? null : new Dictionary<string, string>(options.Claims, StringComparer.Ordinal),
        key = options.Key,
        ttlSeconds = options.TtlSeconds,
    };

    /// <summary>Releases the connection.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the connection when <paramref name="disposing"/>.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _rest?.Dispose();
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var (status, result) = await _rest.SendJsonAsync<T>(method, path, body, null, cancellationToken).ConfigureAwait(false);
        return result ?? throw EmptyAnswer(status);
    }

    // A request whose answer has no body to read (204).
    private async Task SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _rest.SendJsonAsync<object>(method, path, null, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A 404 about a named credential is a <see cref="CredentialNotFoundException"/>, as for the agent client.</summary>
    private static async Task<T> NamedAsync<T>(string name, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (BrokerException ex) when (ex.Status == 404 && ex is not CredentialNotFoundException)
        {
            throw new CredentialNotFoundException(name, 404, ex.Message, ex.ErrorCode);
        }
    }

    private static BrokerException EmptyAnswer(int status) => new("The broker sent an empty answer.", status);

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static string CredentialPath(string name, string? subject) =>
        $"v1/credentials/{Escape(name)}" + (string.IsNullOrEmpty(subject) ? "" : "?subject=" + Uri.EscapeDataString(subject));

    private static List<string>? NullIfEmpty(IList<string> values) => values.Count == 0 ? null : [.. values];

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private sealed class ItemsDto<T>
    {
        public List<T>? Items { get; set; }
    }
}
