using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Broker.Audit;
using Broker.Core;
using Broker.Keys;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity;

/// <summary>
/// The trusted issuers of each tenant as audited use cases (<c>issuer.create</c>, <c>issuer.delete</c>), and the
/// read the hot path uses: a tenant's issuers from memory, re-read from the store after
/// <see cref="CacheLifetime"/> and at once after a change made here.
/// <para>
/// A delete is a narrowing, so it holds on every replica before it answers: with replicas
/// (<paramref name="replicas"/> registered, as on PostgreSQL) it waits <see cref="CacheLifetime"/> after the commit,
/// by which time every replica's copy read before the commit has expired (a copy's age counts from before its read
/// began). Its cached keys and every assertion validated under it stop with it (assertions are checked against the
/// current list).
/// </para>
/// </summary>
public sealed class IssuerRegistry(ITrustedIssuerStore store, AuditTrail audit, IssuerKeys keys, TimeProvider time, IRevocationBarrier? replicas = null)
{
    public const int MaxAudiences = 20;
    public const int MaxTextLength = 512;
    public const int MaxJwksLength = 64 * 1024;

    /// <summary>How long a tenant's issuers are answered from memory (one store read per tenant and second on the hot path).</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, (IReadOnlyList<TrustedIssuer> Issuers, DateTimeOffset ReadAt)> _cache = new(StringComparer.Ordinal);

    /// <summary>Registers an issuer in the caller's tenant.</summary>
    /// <exception cref="ValidationException">A field is invalid (recorded).</exception>
    /// <exception cref="BrokerOperationException">Forbidden (not an admin key); Conflict (the name is taken). Recorded.</exception>
    /// <exception cref="AuditUnavailableException">The change could not be recorded: nothing changed.</exception>
    public async Task<TrustedIssuer> CreateAsync(AuditContext context, CreateIssuerRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var caller = context.RequireCaller();
        var target = AuditTrail.Bounded(request.Name);
        TrustedIssuer issuer;
        try
        {
            RequireAdmin(caller);
            issuer = Validate(caller.Tenant, request, time.GetUtcNow());
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.IssuerCreate, target, ex).ConfigureAwait(false);
            throw;
        }

        var reason = new AuditReason().Add("issuer", AuditTrail.Bounded(issuer.Issuer)).Add("use", issuer.Use).ToString();
        var inserted = await audit.ChangeAsync(context, caller.Tenant, AuditActions.IssuerCreate, issuer.Name, reason,
            ct => store.InsertAsync(issuer, ct), ok => ok ? null : AuditReason.Conflict).ConfigureAwait(false);
        Forget(caller.Tenant);
        return inserted ? issuer : throw new BrokerOperationException(BrokerErrorKind.Conflict, $"This tenant already trusts an issuer named '{issuer.Name}'.");
    }

    /// <summary>The caller's tenant's issuers, from the store.</summary>
    /// <exception cref="BrokerOperationException">Forbidden: not an admin key.</exception>
    public Task<IReadOnlyList<TrustedIssuer>> ListAsync(AuditContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        RequireAdmin(caller);
        return store.ListAsync(caller.Tenant, cancellationToken);
    }

    /// <summary>Removes an issuer of the caller's tenant: its assertions prove nothing from the response on (here).</summary>
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
            await audit.RefuseAsync(context, AuditActions.IssuerDelete, target, ex).ConfigureAwait(false);
            throw;
        }

        var deleted = await audit.ChangeAsync(context, caller.Tenant, AuditActions.IssuerDelete, target, null,
            ct => store.DeleteAsync(caller.Tenant, name, ct), ok => ok ? null : AuditReason.NotFound).ConfigureAwait(false);
        Forget(caller.Tenant);
        keys.Forget(caller.Tenant, name);
        if (!deleted)
        {
            throw new BrokerOperationException(BrokerErrorKind.NotFound, $"This tenant trusts no issuer named '{target}'.");
        }

        if (replicas is not null)
        {
            // Not the key-event barrier itself (issuers are not key events), but the same promise: every replica's
            // copy of this tenant's issuers, read before the commit, has expired when this answers.
            await Task.Delay(CacheLifetime, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The tenant's issuers of one use, from memory while fresh (the hot path of every proof).</summary>
    public async ValueTask<IReadOnlyList<TrustedIssuer>> TrustedAsync(string tenant, string use, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        if (!_cache.TryGetValue(tenant, out var cached) || now - cached.ReadAt >= CacheLifetime || now < cached.ReadAt)
        {
            cached = (await store.ListAsync(tenant, cancellationToken).ConfigureAwait(false), now);
            _cache[tenant] = cached;
        }

        return cached.Issuers.Where(i => i.Use == use).ToArray();
    }

    private void Forget(string tenant) => _cache.TryRemove(tenant, out _);

    private static void RequireAdmin(Caller caller)
    {
        if (caller.Role != Role.Admin)
        {
            throw new BrokerOperationException(BrokerErrorKind.Forbidden, "Only admin keys manage trusted issuers.");
        }
    }

    /// <summary>Every field at once; a JWKS given inline must hold public keys only.</summary>
    internal static TrustedIssuer Validate(string tenant, CreateIssuerRequest request, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Names.IsValidCredentialName(request.Name))
        {
            errors["name"] = ["\"name\" is required: 1 to 128 characters of [A-Za-z0-9_.-]."];
        }

        if (request.Issuer is not { Length: > 0 and <= MaxTextLength } || !Uri.TryCreate(request.Issuer, UriKind.Absolute, out _))
        {
            errors["issuer"] = [$"\"issuer\" is required: the absolute URL its tokens carry as iss (at most {MaxTextLength} characters)."];
        }

        var jwks = request.Jwks is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } j ? j : (JsonElement?)null;
        if ((request.JwksUri is null) == (jwks is null))
        {
            errors["jwksUri"] = ["Give exactly one of \"jwksUri\" and \"jwks\"."];
        }
        else if (request.JwksUri is not null && !IsAllowedJwksUri(request.JwksUri))
        {
            errors["jwksUri"] = ["\"jwksUri\" is an https URL, or http on a loopback address."];
        }

        string? jwksText = null;
        if (jwks is { } doc)
        {
            jwksText = doc.GetRawText();
            if (doc.ValueKind != JsonValueKind.Object || jwksText.Length > MaxJwksLength || !IsPublicKeySet(jwksText))
            {
                errors["jwks"] = ["\"jwks\" is a JWKS object ({\"keys\": [...]}) of public keys only (no private parts)."];
            }
        }

        if (request.Audiences is not { Count: > 0 and <= MaxAudiences } audiences || audiences.Any(a => a is not { Length: > 0 and <= MaxTextLength }))
        {
            errors["audiences"] = [$"\"audiences\" is 1 to {MaxAudiences} non-empty strings: the aud values its tokens must name one of."];
        }

        var subjectClaim = request.SubjectClaim ?? "sub";
        if (subjectClaim is not { Length: > 0 and <= 64 } || subjectClaim.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            errors["subjectClaim"] = ["\"subjectClaim\" is a claim name of 1 to 64 characters (default \"sub\")."];
        }

        if (!IssuerUses.IsKnown(request.Use))
        {
            errors["use"] = ["\"use\" is \"users\" or \"workloads\"."];
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        return new TrustedIssuer(tenant, request.Name!, request.Issuer!, request.JwksUri, jwksText, request.Audiences!.ToArray(), subjectClaim, request.Use!,
            DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()));
    }

    /// <summary>https anywhere; plain http only to this machine (a local issuer, a sidecar), where nothing on the way can change the keys.</summary>
    public static bool IsAllowedJwksUri(string value)
    {
        if (value.Length > MaxTextLength || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return false;
        }

        return uri.Scheme == Uri.UriSchemeHttps
            || (uri.Scheme == Uri.UriSchemeHttp && (uri.IsLoopback || (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address))));
    }

    private static bool IsPublicKeySet(string json)
    {
        try
        {
            var set = new JsonWebKeySet(json);
            return set.Keys.Count > 0 && set.Keys.All(k => k.Kty is JsonWebAlgorithmsKeyTypes.RSA or JsonWebAlgorithmsKeyTypes.EllipticCurve
                && new[] { k.D, k.P, k.Q, k.DP, k.DQ, k.QI, k.K }.All(string.IsNullOrEmpty));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
