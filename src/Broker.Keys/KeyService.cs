using Broker.Core;

namespace Broker.Keys;

/// <summary>Issuing, listing, rotating, revoking and verifying inbound keys; tenant-scoped throughout.</summary>
public sealed class KeyService(IKeyStore store, KeyAuthenticator authenticator, IUsageLimiter limiter, UsageTracker usage, TimeProvider time, IRevocationBarrier? barrier = null)
{
    public const int MaxPatterns = 64;
    public const int MaxRatePerMinute = 1_000_000;
    public const int MaxGraceSeconds = 30 * 24 * 3600;

    public UsageTracker Usage => usage;

    public async Task<IssuedKey> CreateAsync(Caller caller, CreateKeyRequest request, CancellationToken cancellationToken = default)
    {
        var (tenant, role) = Validate(caller, request);
        var now = time.GetUtcNow();
        var secret = KeySecrets.NewSecret();
        var key = new ApiKeyRecord(
            KeySecrets.NewId(), tenant, request.Name!, role, KeySecrets.PrefixOf(secret),
            request.Credentials?.ToArray() ?? [], request.Agents?.ToArray() ?? [],
            request.RateLimitPerMinute, request.QuotaPerDay, now, request.ExpiresAt?.ToUniversalTime(), null, null, false);
        await store.InsertAsync(key, KeySecrets.Hash(secret), cancellationToken).ConfigureAwait(false);
        return new IssuedKey(key, secret);
    }

    /// <summary>Checks a create request without creating anything: the tenant and role it would get.</summary>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    /// <exception cref="BrokerException">Another tenant without the bootstrap admin key (Forbidden).</exception>
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

        CheckPatterns(request.Credentials, "credentials", errors);
        CheckPatterns(request.Agents, "agents", errors);
        if (request.RateLimitPerMinute is < 1 or > MaxRatePerMinute)
        {
            errors["rateLimitPerMinute"] = [$"\"rateLimitPerMinute\" must lie in 1..{MaxRatePerMinute} (or be null for no limit)."];
        }

        if (request.QuotaPerDay is < 1)
        {
            errors["quotaPerDay"] = ["\"quotaPerDay\" must be at least 1 (or null for no quota)."];
        }

        var now = time.GetUtcNow();
        if (request.ExpiresAt is { } expiresAt && expiresAt <= now)
        {
            errors["expiresAt"] = ["\"expiresAt\" must be in the future."];
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        if (tenant != caller.Tenant && !caller.IsBootstrap)
        {
            throw new BrokerException(BrokerErrorKind.Forbidden, "Creating a key in another tenant needs the bootstrap admin key.");
        }

        return (tenant, role);
    }

    /// <summary>Creates the bootstrap admin key (tenant default) with a given or new secret, when the store has none.</summary>
    public async Task<IssuedKey?> EnsureBootstrapAsync(string? configuredSecret, CancellationToken cancellationToken = default)
    {
        if (configuredSecret is not null)
        {
            if (!KeySecrets.LooksLikeKey(configuredSecret) || configuredSecret.Length < 24)
            {
                throw new InvalidOperationException("Broker:BootstrapAdminKey must start with 'brk_' and carry at least 128 bits of randomness (20+ characters after the prefix).");
            }

            var hash = KeySecrets.Hash(configuredSecret);
            if (await store.FindByHashAsync(hash, cancellationToken).ConfigureAwait(false) is not null)
            {
                return null;
            }

            var configured = NewBootstrap(configuredSecret);
            await store.InsertAsync(configured, hash, cancellationToken).ConfigureAwait(false);
            return new IssuedKey(configured, configuredSecret);
        }

        if (await store.AnyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var secret = KeySecrets.NewSecret();
        var key = NewBootstrap(secret);
        await store.InsertAsync(key, KeySecrets.Hash(secret), cancellationToken).ConfigureAwait(false);
        return new IssuedKey(key, secret);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(Caller caller, CancellationToken cancellationToken = default)
    {
        var keys = await store.ListAsync(caller.Tenant, cancellationToken).ConfigureAwait(false);
        return keys.Select(k => k with { LastUsedAt = usage.LastUsed(k) }).ToArray();
    }

    public KeyStatus StatusOf(ApiKeyRecord key) => key.StatusAt(time.GetUtcNow());

    /// <summary>Revokes a key; when this returns, no request with it succeeds in this process, nor (with a barrier) on any replica.</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(Caller caller, string id, CancellationToken cancellationToken = default)
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

        var revoked = await RevokeAsync(caller, match.Key.Id, cancellationToken).ConfigureAwait(false);
        return revoked is null ? null : revoked with { LastUsedAt = usage.LastUsed(revoked) };
    }

    /// <summary>
    /// Checks a rotation without making it, as <see cref="RotateAsync"/> does first: lets the caller refuse (and say
    /// why) before it records the intent to rotate.
    /// </summary>
    /// <returns>The key, or null when the caller's tenant has no key with that id.</returns>
    /// <exception cref="ValidationException"><paramref name="graceSeconds"/> is out of range.</exception>
    /// <exception cref="BrokerException">Conflict: the key is not active.</exception>
    public async Task<ApiKeyRecord?> CheckRotateAsync(Caller caller, string id, int? graceSeconds, CancellationToken cancellationToken = default)
    {
        if (graceSeconds is < 0 or > MaxGraceSeconds)
        {
            throw new ValidationException("graceSeconds", $"\"graceSeconds\" must lie in 0..{MaxGraceSeconds}.");
        }

        var existing = await store.GetAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return null;
        }

        if (existing.StatusAt(time.GetUtcNow()) != KeyStatus.Active)
        {
            throw new BrokerException(BrokerErrorKind.Conflict, "Only an active key can be rotated.");
        }

        return existing;
    }

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

    /// <summary>An agent checks one of its callers' keys. A valid answer counts as one use of that key.</summary>
    public async Task<InboundVerification> VerifyInboundAsync(Caller agent, string? presented, string? agentName, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(presented))
        {
            errors["key"] = ["\"key\" is required."];
        }

        if (!Names.IsValidKeyName(agentName))
        {
            errors["agent"] = ["\"agent\" is required: 1 to 128 printable ASCII characters without spaces."];
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        var check = await authenticator.CheckAsync(presented!, cancellationToken).ConfigureAwait(false);
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

        if (key.Role != Role.Caller || !WildcardPattern.MatchesAny(key.AgentPatterns, agentName!))
        {
            return new InboundVerification(false, InboundVerification.Forbidden, key);
        }

        var decision = await limiter.TryAcquireAsync(key.Id, key.RateLimitPerMinute, key.QuotaPerDay, cancellationToken).ConfigureAwait(false);
        if (!decision.IsAllowed)
        {
            var reason = decision.Kind == UsageDecisionKind.RateLimited ? InboundVerification.RateLimited : InboundVerification.QuotaExceeded;
            return new InboundVerification(false, reason, key, decision.RetryAfter);
        }

        usage.Record(key.Id, time.GetUtcNow());
        return new InboundVerification(true, null, key);
    }

    private ApiKeyRecord NewBootstrap(string secret) =>
        new(KeySecrets.NewId(), Tenants.Default, "bootstrap-admin", Role.Admin, KeySecrets.PrefixOf(secret), [], [], null, null, time.GetUtcNow(), null, null, null, true);

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
