using Broker.Audit;
using Broker.Core;
using Broker.Keys;

namespace Broker.Identity;

/// <summary>
/// Workload profiles as audited use cases for admins (<c>workload_profile.create</c>, <c>workload_profile.update</c>,
/// <c>workload_profile.delete</c>). Replacing or deleting a profile revokes every key it issued, on every replica,
/// before it returns (the revoke path of keys).
/// </summary>
public sealed class WorkloadProfiles(IWorkloadProfileStore store, IssuerRegistry issuers, KeyService keys, AuditTrail audit, TimeProvider time)
{
    public const int DefaultTtlSeconds = 900;
    public const int MinTtlSeconds = 60;
    public const int MaxTtlSeconds = 3600;
    public const int MaxClaims = 16;
    public const int MaxClaimNameLength = 64;

    /// <summary>Registers a profile in the caller's tenant.</summary>
    /// <exception cref="ValidationException">A field is invalid, or the issuer is not a trusted <c>workloads</c> issuer of the tenant (recorded).</exception>
    /// <exception cref="BrokerOperationException">Forbidden (not an admin key); Conflict (the name is taken). Recorded.</exception>
    /// <exception cref="AuditUnavailableException">The change could not be recorded: nothing changed.</exception>
    public async Task<WorkloadProfile> CreateAsync(AuditContext context, CreateWorkloadProfileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var caller = context.RequireCaller();
        var target = AuditTrail.Bounded(request.Name);
        WorkloadProfile profile;
        try
        {
            RequireAdmin(caller);
            var trusted = await issuers.TrustedAsync(caller.Tenant, IssuerUses.Workloads, cancellationToken).ConfigureAwait(false);
            profile = Validate(caller, request, trusted.Any(i => i.Name == request.Issuer), time.GetUtcNow());
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.WorkloadProfileCreate, target, ex).ConfigureAwait(false);
            throw;
        }

        var reason = new AuditReason().Add("issuer", profile.Issuer).Add("ttl", profile.TtlSeconds).ToString();
        var inserted = await audit.ChangeAsync(context, caller.Tenant, AuditActions.WorkloadProfileCreate, profile.Name, reason,
            ct => store.InsertAsync(profile, ct), ok => ok ? null : AuditReason.Conflict).ConfigureAwait(false);
        return inserted ? profile : throw new BrokerOperationException(BrokerErrorKind.Conflict, $"This tenant already has a workload profile named '{profile.Name}'.");
    }

    /// <summary>The caller's tenant's profiles.</summary>
    /// <exception cref="BrokerOperationException">Forbidden: not an admin key.</exception>
    public Task<IReadOnlyList<WorkloadProfile>> ListAsync(AuditContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        RequireAdmin(caller);
        return store.ListAsync(caller.Tenant, cancellationToken);
    }

    /// <summary>One profile of the caller's tenant.</summary>
    /// <exception cref="BrokerOperationException">Forbidden: not an admin key; NotFound.</exception>
    public async Task<WorkloadProfile> GetAsync(AuditContext context, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        RequireAdmin(caller);
        return await store.GetAsync(caller.Tenant, name, cancellationToken).ConfigureAwait(false) ?? throw NotFound(name);
    }

    /// <summary>Removes a profile: once this returns, no access token it issued works, on any replica, and it issues no more.</summary>
    /// <exception cref="BrokerOperationException">Forbidden (not an admin key); NotFound. Recorded.</exception>
    /// <exception cref="AuditUnavailableException">The change could not be recorded: nothing changed.</exception>
    public async Task DeleteAsync(AuditContext context, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        var target = AuditTrail.Bounded(name);
        try
        {
            RequireAdmin(caller);
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.WorkloadProfileDelete, target, ex).ConfigureAwait(false);
            throw;
        }

        await StopIssuedAsync(context, AuditActions.WorkloadProfileDelete, target, null, ct => store.DeleteAsync(caller.Tenant, name, time.GetUtcNow(), ct)).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces a profile's fields (all of them, as <see cref="CreateAsync"/> takes them). Every access token the old
    /// fields issued stops, on every replica, before this returns: a workload logs in again (the SDK does on 401) and
    /// gets a token of the new fields, so a narrowed profile is narrow at once.
    /// </summary>
    /// <exception cref="ValidationException">A field is invalid, or the body names another profile (recorded).</exception>
    /// <exception cref="BrokerOperationException">Forbidden (not an admin key); NotFound. Recorded.</exception>
    /// <exception cref="AuditUnavailableException">The change could not be recorded: nothing changed.</exception>
    public async Task<WorkloadProfile> ReplaceAsync(AuditContext context, string name, CreateWorkloadProfileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var caller = context.RequireCaller();
        var target = AuditTrail.Bounded(name);
        WorkloadProfile profile;
        try
        {
            RequireAdmin(caller);
            if (request.Name is not null && !string.Equals(request.Name, name, StringComparison.Ordinal))
            {
                throw new ValidationException("name", "\"name\" may be left out; when given it is the name in the path (a profile is not renamed).");
            }

            var trusted = await issuers.TrustedAsync(caller.Tenant, IssuerUses.Workloads, cancellationToken).ConfigureAwait(false);
            profile = Validate(caller, request with { Name = name }, trusted.Any(i => i.Name == request.Issuer), time.GetUtcNow());
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.WorkloadProfileUpdate, target, ex).ConfigureAwait(false);
            throw;
        }

        var reason = new AuditReason().Add("issuer", profile.Issuer).Add("ttl", profile.TtlSeconds).ToString();
        await StopIssuedAsync(context, AuditActions.WorkloadProfileUpdate, target, reason, ct => store.ReplaceAsync(profile, time.GetUtcNow(), ct)).ConfigureAwait(false);
        return profile;
    }

    // Runs a removal of the profile (delete, or replace) under the trail and revokes the keys it answers, through the
    // revoke path of keys (a key event each, then one wait for every replica); NotFound when there was no profile.
    private async Task StopIssuedAsync(AuditContext context, string action, string target, string? reason, Func<CancellationToken, Task<IReadOnlyList<string>?>> remove)
    {
        var tenant = context.RequireCaller().Tenant;
        var revoked = await audit.ChangeAsync(context, tenant, action, target, reason,
            async ct =>
            {
                var issued = await remove(ct).ConfigureAwait(false);
                if (issued is not null)
                {
                    await keys.RevokeManyAsync(tenant, issued, ct).ConfigureAwait(false);
                }

                return issued;
            },
            issued => issued is null ? AuditReason.NotFound : null).ConfigureAwait(false);
        if (revoked is null)
        {
            throw NotFound(target);
        }
    }

    private static BrokerOperationException NotFound(string name) => new(BrokerErrorKind.NotFound, $"This tenant has no workload profile named '{AuditTrail.Bounded(name)}'.");

    private static void RequireAdmin(Caller caller)
    {
        if (caller.Role != Role.Admin)
        {
            throw new BrokerOperationException(BrokerErrorKind.Forbidden, "Only admin keys manage workload profiles.");
        }
    }

    /// <summary>Every field at once; the key fields exactly as <c>POST /v1/keys</c> checks an agent key's (reported as <c>key.*</c>).</summary>
    private WorkloadProfile Validate(Caller caller, CreateWorkloadProfileRequest request, bool issuerTrusted, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Names.IsValidCredentialName(request.Name))
        {
            errors["name"] = ["\"name\" is required: 1 to 128 characters of [A-Za-z0-9_.-]."];
        }

        if (request.Issuer is null || !issuerTrusted)
        {
            errors["issuer"] = ["\"issuer\" is required: the name of a trusted issuer of this tenant with use \"workloads\"."];
        }

        if (!Names.IsValidSubject(request.Subject))
        {
            errors["subject"] = ["\"subject\" is required: a pattern of 1 to 256 printable ASCII characters without spaces ('*' matches any run)."];
        }

        var claims = request.Claims ?? new Dictionary<string, string>();
        if (claims.Count > MaxClaims || claims.Any(c => c.Key is not { Length: > 0 and <= MaxClaimNameLength } || c.Key.Any(ch => char.IsControl(ch) || char.IsWhiteSpace(ch))
            || !Names.IsValidSubject(c.Value)))
        {
            errors["claims"] = [$"\"claims\" maps at most {MaxClaims} claim names (1 to {MaxClaimNameLength} characters) to patterns of 1 to 256 printable ASCII characters."];
        }

        if (request.TtlSeconds is < MinTtlSeconds or > MaxTtlSeconds)
        {
            errors["ttlSeconds"] = [$"\"ttlSeconds\" must lie in {MinTtlSeconds}..{MaxTtlSeconds} (default {DefaultTtlSeconds})."];
        }

        var key = request.Key;
        if (key is null)
        {
            errors["key"] = ["\"key\" is required: the agent fields of POST /v1/keys (credentials, tokens, sts, subjects, approval, ...) every access token gets."];
        }
        else
        {
            try
            {
                keys.Validate(caller, KeyRequestOf(key, caller.Tenant));
            }
            catch (ValidationException ex)
            {
                foreach (var (field, messages) in ex.Errors)
                {
                    errors["key." + field] = messages;
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        return new WorkloadProfile(KeySecrets.NewId(), caller.Tenant, request.Name!, request.Issuer!, request.Subject!,
            new SortedDictionary<string, string>(claims.ToDictionary(c => c.Key, c => c.Value), StringComparer.Ordinal), key!,
            request.TtlSeconds ?? DefaultTtlSeconds, DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()));
    }

    /// <summary>The key request an access token of this profile is issued from (its name: the workload's subject).</summary>
    internal static CreateKeyRequest KeyRequestOf(WorkloadKeyFields key, string tenant, string name = "workload", DateTimeOffset? expiresAt = null) =>
        new(name, "agent", tenant, key.Credentials, key.Agents, key.RateLimitPerMinute, key.QuotaPerDay, expiresAt, key.VerifyAs, key.Tokens, key.Sts, key.Subjects, key.Approval);
}
