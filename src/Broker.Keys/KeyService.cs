using Broker.Core;
using Broker.Core.Grants;

namespace Broker.Keys;

/// <summary>Issuing, listing, rotating, revoking and verifying inbound keys; tenant-scoped throughout.</summary>
public sealed class KeyService(IKeyStore store, KeyAuthenticator authenticator, IUsageLimiter limiter, UsageTracker usage, TimeProvider time, IRevocationBarrier? barrier = null)
{
    private readonly KeyGate _gate = new(authenticator, limiter, usage, time);

    public const int MaxPatterns = 64;
    public const int MaxRatePerMinute = 1_000_000;
    public const int MaxGraceSeconds = 30 * 24 * 3600;

    /// <summary>The rule (and audit reason) that refuses a verify for an agent name the key may not verify as.</summary>
    public const string VerifyAsRule = "verify_as";

    public const string BootstrapKeyName = "bootstrap-admin";

    private const int MinTokenTtlSeconds = 5;
    private const int MinStsDurationSeconds = 900;
    private const int MaxStsDurationSeconds = 43200;

    public UsageTracker Usage => usage;

    public async Task<IssuedKey> CreateAsync(Caller caller, CreateKeyRequest request, CancellationToken cancellationToken = default)
    {
        var (tenant, role) = Validate(caller, request);
        return await IssueAsync(tenant, role, request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Issues a key from a request validated before (a workload profile's agent fields, checked by <see cref="Validate"/>
    /// when the profile was made): hashed and stored like every key, so the gate, grants, limits and revocation apply.
    /// </summary>
    public async Task<IssuedKey> IssueAsync(string tenant, Role role, CreateKeyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        var secret = KeySecrets.NewSecret();
        var grants = role == Role.Agent ? new AgentGrants(request.Tokens, request.Sts, request.Subjects ?? SubjectsGrant.Proven, request.Approval) : null;
        var key = new ApiKeyRecord(
            KeySecrets.NewId(), tenant, request.Name!, role, KeySecrets.PrefixOf(secret),
            request.Credentials?.ToArray() ?? [], request.Agents?.ToArray() ?? [],
            request.RateLimitPerMinute, request.QuotaPerDay, now, request.ExpiresAt?.ToUniversalTime(), null, null, false,
            request.VerifyAs?.ToArray() ?? [], grants, Subject: role == Role.Caller ? request.Subject : null);
        await store.InsertAsync(key, KeySecrets.Hash(secret), cancellationToken).ConfigureAwait(false);
        return new IssuedKey(key, secret);
    }

    /// <summary>Checks a create request without creating anything: the tenant and role it would get.</summary>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    /// <exception cref="BrokerOperationException">Another tenant without the bootstrap admin key (Forbidden).</exception>
    public (string Tenant, Role Role) Validate(Caller caller, CreateKeyRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Names.IsValidKeyName(request.Name))
        {
            errors["name"] = ["\"name\" is required: 1 to 128 printable ASCII characters without spaces."];
        }

        if (!RoleExtensions.TryParse(request.Role, out var role))
        {
            errors["role"] = ["\"role\" must be one of admin, responder, agent, caller."];
        }

        var tenant = request.Tenant ?? caller.Tenant;
        if (!Names.IsValidTenant(tenant))
        {
            errors["tenant"] = ["A tenant is 1 to 64 characters of [a-z0-9_.-], starting with a letter or digit."];
        }

        CheckGrants(
            new PatchKeyRequest(request.Credentials, request.Agents, request.Tokens, request.Sts, request.Subjects, request.Approval, request.VerifyAs,
                request.RateLimitPerMinute, request.QuotaPerDay, request.ExpiresAt),
            errors.ContainsKey("role") ? null : role, errors);
        CheckSubject(request.Subject, errors.ContainsKey("role") ? null : role, errors);

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        if (tenant != caller.Tenant && !caller.IsBootstrap)
        {
            throw new BrokerOperationException(BrokerErrorKind.Forbidden, "Creating a key in another tenant needs the bootstrap admin key.");
        }

        return (tenant, role);
    }

    /// <summary>A caller key's <c>subject</c>: the user it proves (API.md v1.1 "Acting for a user").</summary>
    private static void CheckSubject(string? subject, Role? role, Dictionary<string, string[]> errors)
    {
        if (subject is null)
        {
            return;
        }

        if (role is { } known && known != Role.Caller)
        {
            errors["subject"] = ["\"subject\" is a field of caller keys only."];
        }
        else if (!Names.IsValidSubject(subject))
        {
            errors["subject"] = ["\"subject\" is 1 to 256 printable ASCII characters without spaces."];
        }
    }

    /// <summary>Every field of a create or change, checked at once; <paramref name="role"/> null: unknown (grant fields are not checked against it).</summary>
    private void CheckGrants(PatchKeyRequest request, Role? role, Dictionary<string, string[]> errors)
    {
        CheckPatterns(request.Credentials, "credentials", errors);
        CheckPatterns(request.Agents, "agents", errors);
        CheckPatterns(request.VerifyAs, "verifyAs", errors);
        CheckPatterns(request.Tokens?.Audiences, "tokens.audiences", errors);
        CheckPatterns(request.Tokens?.Scopes, "tokens.scopes", errors);
        CheckPatterns(request.Sts?.Roles, "sts.roles", errors);
        CheckPatterns(request.Approval?.Scopes, "approval.scopes", errors);
        CheckPatterns(request.Approval?.Roles, "approval.roles", errors);
        CheckPatterns(request.Approval?.Credentials, "approval.credentials", errors);
        if (request.Tokens is { Audiences: null })
        {
            errors["tokens.audiences"] = ["\"tokens\" needs \"audiences\": the audiences this key may mint for (patterns)."];
        }

        if (request.Tokens?.MaxTtlSeconds is < MinTokenTtlSeconds or > TokenGrant.DefaultMaxTtlSeconds)
        {
            errors["tokens.maxTtlSeconds"] = [$"\"tokens.maxTtlSeconds\" must lie in {MinTokenTtlSeconds}..{TokenGrant.DefaultMaxTtlSeconds}."];
        }

        if (request.Sts?.MaxDurationSeconds is < MinStsDurationSeconds or > MaxStsDurationSeconds)
        {
            errors["sts.maxDurationSeconds"] = [$"\"sts.maxDurationSeconds\" must lie in {MinStsDurationSeconds}..{MaxStsDurationSeconds}."];
        }

        if (request.Subjects is not null && !SubjectsGrant.IsKnown(request.Subjects))
        {
            errors["subjects"] = ["\"subjects\" is \"proven\" (the default) or \"any\"."];
        }

        if (role is { } known && known != Role.Agent)
        {
            foreach (var (field, given) in new (string, bool)[]
            {
                ("verifyAs", request.VerifyAs is not null), ("tokens", request.Tokens is not null), ("sts", request.Sts is not null),
                ("subjects", request.Subjects is not null), ("approval", request.Approval is not null),
            })
            {
                if (given && !errors.ContainsKey(field))
                {
                    errors[field] = [$"\"{field}\" is a grant of agent keys only."];
                }
            }
        }

        if (request.RateLimitPerMinute is < 1 or > MaxRatePerMinute)
        {
            errors["rateLimitPerMinute"] = [$"\"rateLimitPerMinute\" must lie in 1..{MaxRatePerMinute} (or be null for no limit)."];
        }

        if (request.QuotaPerDay is < 1)
        {
            errors["quotaPerDay"] = ["\"quotaPerDay\" must be at least 1 (or null for no quota)."];
        }

        if (request.ExpiresAt is { } expiresAt && expiresAt <= time.GetUtcNow())
        {
            errors["expiresAt"] = ["\"expiresAt\" must be in the future."];
        }
    }

    /// <summary>
    /// Changes what a key may do (patterns, grants, limits, expiry). A narrowing holds before this returns, on every
    /// replica, as a revoke does: the key is dropped from every cache and the next request reads it again.
    /// </summary>
    /// <returns>The key as changed, or null when the caller's tenant has no such key.</returns>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    /// <exception cref="BrokerOperationException">Forbidden: the bootstrap admin key, changed by another key.</exception>
    public async Task<ApiKeyRecord?> UpdateAsync(Caller caller, string id, PatchKeyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var existing = await CheckUpdateAsync(caller, id, request, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return null;
        }

        var grants = existing.Role != Role.Agent ? null : (existing.Grants ?? AgentGrants.None) with
        {
            Tokens = request.Tokens ?? existing.Grants?.Tokens,
            Sts = request.Sts ?? existing.Grants?.Sts,
            Subjects = request.Subjects ?? existing.Grants?.Subjects ?? SubjectsGrant.Proven,
            Approval = request.Approval ?? existing.Grants?.Approval,
        };
        var changed = existing with
        {
            CredentialPatterns = request.Credentials?.ToArray() ?? existing.CredentialPatterns,
            AgentPatterns = request.Agents?.ToArray() ?? existing.AgentPatterns,
            VerifyAsPatterns = request.VerifyAs?.ToArray() ?? existing.VerifyAsPatterns,
            RateLimitPerMinute = request.RateLimitPerMinute ?? existing.RateLimitPerMinute,
            QuotaPerDay = request.QuotaPerDay ?? existing.QuotaPerDay,
            ExpiresAt = request.ExpiresAt?.ToUniversalTime() ?? existing.ExpiresAt,
            Grants = grants,
        };
        var updated = await store.UpdateAsync(changed, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (updated is null)
        {
            return null;
        }

        authenticator.Invalidate(updated.Id);
        if (barrier is not null)
        {
            await barrier.WaitForReplicasAsync(cancellationToken).ConfigureAwait(false);
        }

        return updated;
    }

    /// <summary>Checks a change without making it, as <see cref="UpdateAsync"/> does first.</summary>
    /// <returns>The key, or null when the caller's tenant has no such key.</returns>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    /// <exception cref="BrokerOperationException">Forbidden: the bootstrap admin key, changed by another key.</exception>
    public async Task<ApiKeyRecord?> CheckUpdateAsync(Caller caller, string id, PatchKeyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var existing = await GetForChangeAsync(caller, id, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return null;
        }

        var errors = new Dictionary<string, string[]>();
        CheckGrants(request, existing.Role, errors);
        return errors.Count > 0 ? throw new ValidationException(errors) : existing;
    }

    /// <summary>
    /// At start: makes the configured value the bootstrap admin key (tenant default), or creates one with a new secret
    /// when nothing is configured and the store is empty. A configured value replaces every earlier bootstrap key,
    /// which stops working at once (on every replica, as a revoke). A value registered before is never registered
    /// again, so the value of a bootstrap key that rotated itself or was revoked does not come back at a restart.
    /// </summary>
    /// <exception cref="InvalidOperationException">The configured value is not a well-formed key of 128+ random bits; the message never quotes it.</exception>
    public async Task<BootstrapResult> EnsureBootstrapAsync(string? configuredSecret, CancellationToken cancellationToken = default)
    {
        if (configuredSecret is null)
        {
            if (await store.AnyAsync(cancellationToken).ConfigureAwait(false))
            {
                return BootstrapResult.Unchanged;
            }

            var secret = KeySecrets.NewSecret();
            var key = NewBootstrap(secret);
            await store.InsertAsync(key, KeySecrets.Hash(secret), cancellationToken).ConfigureAwait(false);
            return new BootstrapResult(new IssuedKey(key, secret), [], true);
        }

        if (KeySecrets.ProblemWithConfiguredKey(configuredSecret, "Broker:BootstrapAdminKey") is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        var hash = KeySecrets.Hash(configuredSecret);
        var registered = await FindRegisteredAsync(hash, cancellationToken).ConfigureAwait(false);
        IssuedKey? created = null;
        if (registered is null)
        {
            var configured = NewBootstrap(configuredSecret);
            await store.InsertAsync(configured, hash, cancellationToken).ConfigureAwait(false);

            // Replicas starting together with the same value: one insert wins, and every one of them uses that key.
            registered = await FindRegisteredAsync(hash, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The bootstrap admin key was registered but cannot be read back from the store.");
            created = registered.Id == configured.Id ? new IssuedKey(configured, configuredSecret) : null;
        }

        if (!registered.IsBootstrap || registered.StatusAt(time.GetUtcNow()) != KeyStatus.Active)
        {
            return new BootstrapResult(created, [], false);
        }

        var replaced = await store.RevokeBootstrapKeysBeforeAsync(registered, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        foreach (var id in replaced)
        {
            authenticator.Invalidate(id);
        }

        if (replaced.Count > 0 && barrier is not null)
        {
            await barrier.WaitForReplicasAsync(cancellationToken).ConfigureAwait(false);
        }

        return new BootstrapResult(created, replaced, true);
    }

    private async Task<ApiKeyRecord?> FindRegisteredAsync(byte[] hash, CancellationToken cancellationToken) =>
        await store.FindBootstrapAsync(hash, cancellationToken).ConfigureAwait(false)
        ?? (await store.FindByHashAsync(hash, cancellationToken).ConfigureAwait(false))?.Key;

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(Caller caller, CancellationToken cancellationToken = default)
    {
        var keys = await store.ListAsync(caller.Tenant, cancellationToken).ConfigureAwait(false);
        return keys.Select(k => k with { LastUsedAt = usage.LastUsed(k) }).ToArray();
    }

    public KeyStatus StatusOf(ApiKeyRecord key) => key.StatusAt(time.GetUtcNow());

    /// <summary>Revokes a key; when this returns, no request with it succeeds in this process, nor (with a barrier) on any replica.</summary>
    /// <exception cref="BrokerOperationException">Forbidden: the key is the bootstrap admin key and the caller is not (<see cref="BootstrapRule"/>).</exception>
    public async Task<ApiKeyRecord?> RevokeAsync(Caller caller, string id, CancellationToken cancellationToken = default)
    {
        if (await GetForChangeAsync(caller, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        return await RevokeUncheckedAsync(caller, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The key a caller may rotate or revoke, or null when the tenant has no such key. A key never becomes a bootstrap
    /// key after it was created, so a key found not to be one here cannot have become one by the time it changes.
    /// </summary>
    /// <exception cref="BrokerOperationException">Forbidden: the key is the bootstrap admin key and the caller is not.</exception>
    public async Task<ApiKeyRecord?> GetForChangeAsync(Caller caller, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var key = await store.GetAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false);
        if (key is { IsBootstrap: true })
        {
            BootstrapRule.Demand(caller, BootstrapRule.ChangeBootstrapKey);
        }

        return key;
    }

    /// <summary>
    /// Revokes several keys of a tenant (those a deleted workload profile issued) as <see cref="RevokeAsync"/> does each,
    /// then waits once for every replica: when this returns, none of them works anywhere.
    /// </summary>
    public async Task RevokeManyAsync(string tenant, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        foreach (var id in ids)
        {
            if (await store.RevokeAsync(tenant, id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is { } revoked)
            {
                authenticator.Invalidate(revoked.Id);
            }
        }

        if (ids.Count > 0 && barrier is not null)
        {
            await barrier.WaitForReplicasAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ApiKeyRecord?> RevokeUncheckedAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var revoked = await store.RevokeAsync(caller.Tenant, id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (revoked is not null)
        {
            authenticator.Invalidate(revoked.Id);
            if (barrier is not null)
            {
                await barrier.WaitForReplicasAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return revoked;
    }

    /// <summary>Finds the key a leaked secret belongs to (in the caller's tenant only) and revokes it.</summary>
    public async Task<ApiKeyRecord?> RevokeLeakedAsync(Caller caller, string? presented, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(presented))
        {
            throw new ValidationException("key", "\"key\" is required.");
        }

        if (!KeySecrets.LooksLikeKey(presented))
        {
            return null;
        }

        var match = await store.FindByHashAsync(KeySecrets.Hash(presented), cancellationToken).ConfigureAwait(false);
        if (match is null || match.Key.Tenant != caller.Tenant)
        {
            return null;
        }

        // Deliberately without the bootstrap rule: whoever presents the bootstrap key's value holds a leaked copy of it,
        // and the only safe answer to that is to kill it. Revoking grants the caller nothing, and the operator restores
        // a bootstrap key by setting a new Broker__BootstrapAdminKey.
        var revoked = await RevokeUncheckedAsync(caller, match.Key.Id, cancellationToken).ConfigureAwait(false);
        return revoked is null ? null : revoked with { LastUsedAt = usage.LastUsed(revoked) };
    }

    /// <summary>
    /// Checks a rotation without making it, as <see cref="RotateAsync"/> does first: lets the caller refuse (and say
    /// why) before it records the intent to rotate.
    /// </summary>
    /// <returns>The key, or null when the caller's tenant has no key with that id.</returns>
    /// <exception cref="ValidationException"><paramref name="graceSeconds"/> is out of range.</exception>
    /// <exception cref="BrokerOperationException">Forbidden: the key is the bootstrap admin key and the caller is not; Conflict: the key is not active.</exception>
    public async Task<ApiKeyRecord?> CheckRotateAsync(Caller caller, string id, int? graceSeconds, CancellationToken cancellationToken = default)
    {
        if (graceSeconds is < 0 or > MaxGraceSeconds)
        {
            throw new ValidationException("graceSeconds", $"\"graceSeconds\" must lie in 0..{MaxGraceSeconds}.");
        }

        var existing = await GetForChangeAsync(caller, id, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return null;
        }

        if (existing.StatusAt(time.GetUtcNow()) != KeyStatus.Active)
        {
            throw new BrokerOperationException(BrokerErrorKind.Conflict, "Only an active key can be rotated.");
        }

        return existing;
    }

    /// <summary>
    /// Issues a new secret for a key. The new secret is never a bootstrap key, even when the bootstrap key rotates
    /// itself: it is then a plain admin key of tenant default (the bootstrap key is replaced through configuration).
    /// </summary>
    /// <exception cref="BrokerOperationException">Forbidden: the key is the bootstrap admin key and the caller is not; Conflict: the key is not active.</exception>
    public async Task<IssuedKey?> RotateAsync(Caller caller, string id, int? graceSeconds, CancellationToken cancellationToken = default)
    {
        if (await CheckRotateAsync(caller, id, graceSeconds, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var secret = KeySecrets.NewSecret();
        DateTimeOffset? graceUntil = graceSeconds is > 0 ? now.AddSeconds(graceSeconds.Value) : null;
        var rotated = await store.RotateAsync(caller.Tenant, id, KeySecrets.Hash(secret), KeySecrets.PrefixOf(secret), now, graceUntil, cancellationToken).ConfigureAwait(false);
        if (rotated is null)
        {
            return null;
        }

        authenticator.Invalidate(id);
        if (barrier is not null)
        {
            await barrier.WaitForReplicasAsync(cancellationToken).ConfigureAwait(false);
        }

        return new IssuedKey(rotated, secret);
    }

    /// <summary>
    /// An agent checks one of its callers' keys, for itself (<paramref name="agentName"/> null: the key's own name) or
    /// for another agent name its <c>verifyAs</c> grant matches. A valid answer counts as one use of that key; a
    /// refused verify reads nothing of the presented key and counts nothing.
    /// </summary>
    /// <exception cref="ValidationException">No key, or an invalid agent name.</exception>
    /// <exception cref="BrokerOperationException">Forbidden (<see cref="VerifyAsRule"/>): another agent name that the grant does not match.</exception>
    public async Task<InboundVerification> VerifyInboundAsync(Caller agent, string? presented, string? agentName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(presented))
        {
            errors["key"] = ["\"key\" is required."];
        }

        if (agentName is not null && !Names.IsValidKeyName(agentName))
        {
            errors["agent"] = ["\"agent\" is 1 to 128 printable ASCII characters without spaces (absent: this key's own name)."];
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        agentName ??= agent.Name;
        if (!agent.MayVerifyAs(agentName))
        {
            throw new BrokerOperationException(BrokerErrorKind.Forbidden,
                $"Rule {VerifyAsRule}: this key verifies inbound keys for its own name, and for other agent names only when its verifyAs grant matches them; the agent named matches none.");
        }

        var check = await _gate.CheckAsync(presented!, cancellationToken).ConfigureAwait(false);
        if (check.Status == KeyCheckStatus.Unknown)
        {
            return new InboundVerification(false, InboundVerification.Unknown, null);
        }

        if (check.Status != KeyCheckStatus.Valid)
        {
            // Revoked and expired are only said of keys of the agent's own tenant; elsewhere a key is unknown.
            var match = await store.FindByHashAsync(KeySecrets.Hash(presented!), cancellationToken).ConfigureAwait(false);
            if (match is null || match.Key.Tenant != agent.Tenant)
            {
                return new InboundVerification(false, InboundVerification.Unknown, null);
            }

            var reason = check.Status == KeyCheckStatus.Revoked ? InboundVerification.Revoked : InboundVerification.Expired;
            return new InboundVerification(false, reason, match.Key);
        }

        var key = check.Key!;
        if (key.Tenant != agent.Tenant)
        {
            return new InboundVerification(false, InboundVerification.Unknown, null);
        }

        if (key.Role != Role.Caller || !WildcardPattern.MatchesAny(key.AgentPatterns, agentName))
        {
            return new InboundVerification(false, InboundVerification.Forbidden, key);
        }

        var decision = await _gate.AdmitAsync(key, countQuota: true, cancellationToken).ConfigureAwait(false);
        if (!decision.IsAllowed)
        {
            var reason = decision.Kind == UsageDecisionKind.RateLimited ? InboundVerification.RateLimited : InboundVerification.QuotaExceeded;
            return new InboundVerification(false, reason, key, decision.RetryAfter);
        }

        return new InboundVerification(true, null, key);
    }

    private ApiKeyRecord NewBootstrap(string secret) =>
        new(KeySecrets.NewId(), Tenants.Default, BootstrapKeyName, Role.Admin, KeySecrets.PrefixOf(secret), [], [], null, null, time.GetUtcNow(), null, null, null, true, []);

    private static void CheckPatterns(IReadOnlyList<string>? patterns, string field, Dictionary<string, string[]> errors)
    {
        if (patterns is null)
        {
            return;
        }

        if (patterns.Count > MaxPatterns || patterns.Any(p => !Names.IsValidPattern(p)))
        {
            errors[field] = [$"\"{field}\" is a list of at most {MaxPatterns} patterns, each 1 to 128 printable ASCII characters without spaces ('*' matches any run)."];
        }
    }
}
