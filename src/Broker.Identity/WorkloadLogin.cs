using System.Text.Json;
using Broker.Audit;
using Broker.Core;
using Broker.Keys;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity;

/// <summary>
/// Workload login (API.md v1.1): a workload's JWT from a trusted <c>workloads</c> issuer, exchanged (RFC 8693) for an
/// access token that is a real agent key: hashed and stored like every key, named after the token's subject, with the
/// profile's agent fields, expiring after the profile's TTL or, sooner, when the JWT itself expires. The gate, grants, rate limits and revocation of keys
/// therefore apply to it unchanged. Every refusal of a token is the same <c>invalid_grant</c>; which check failed
/// goes to the audit record (<c>workload.login</c>) only. The JWT and the access token are never recorded.
/// </summary>
public sealed class WorkloadLogin(IWorkloadProfileStore profiles, IssuerRegistry issuers, JwtChecks jwts, KeyService keys, AuditTrail audit, TimeProvider time)
{
    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    public const string JwtTokenType = "urn:ietf:params:oauth:token-type:jwt";
    public const string IdTokenType = "urn:ietf:params:oauth:token-type:id_token";

    /// <summary>The <c>issued_token_type</c> of the answer: a broker key, used as a bearer token.</summary>
    public const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>Exchanges a workload's JWT for an access token.</summary>
    /// <exception cref="BrokerOperationException">Unavailable: the issuer's keys could not be fetched (recorded as error).</exception>
    /// <exception cref="AuditUnavailableException">The login could not be recorded: no key was issued.</exception>
    public async Task<WorkloadLoginResult> ExchangeAsync(AuditContext context, WorkloadLoginRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var target = "profile=" + AuditTrail.Bounded(request.Resource);
        if (string.IsNullOrEmpty(request.GrantType))
        {
            return await RefuseAsync(context, Tenants.Default, target, WorkloadLoginResult.InvalidRequest, "grant_type").ConfigureAwait(false);
        }

        if (request.GrantType != TokenExchange)
        {
            return await RefuseAsync(context, Tenants.Default, target, WorkloadLoginResult.UnsupportedGrantType, "grant_type").ConfigureAwait(false);
        }

        if (string.IsNullOrEmpty(request.SubjectToken) || string.IsNullOrEmpty(request.Resource) || request.SubjectTokenType is not (JwtTokenType or IdTokenType))
        {
            return await RefuseAsync(context, Tenants.Default, target, WorkloadLoginResult.InvalidRequest, "parameters").ConfigureAwait(false);
        }

        if (request.SubjectToken.Length > JwtChecks.MaxTokenLength)
        {
            return await InvalidGrantAsync(context, Tenants.Default, target, "too_long").ConfigureAwait(false);
        }

        var candidates = await FindProfilesAsync(request.Resource, cancellationToken).ConfigureAwait(false);
        if (candidates.Count == 0)
        {
            return await InvalidGrantAsync(context, Tenants.Default, target, "profile").ConfigureAwait(false);
        }

        var matched = new List<(WorkloadProfile Profile, string Subject, DateTimeOffset TokenExpires)>();
        string? failure = null;
        foreach (var profile in candidates)
        {
            string? subject;
            string why;
            DateTimeOffset tokenExpires;
            try
            {
                (subject, why, tokenExpires) = await MatchAsync(profile, request.SubjectToken, cancellationToken).ConfigureAwait(false);
            }
            catch (BrokerOperationException ex) when (ex.Kind == BrokerErrorKind.Unavailable)
            {
                // The issuer's keys could not be fetched: not the token's fault, and not a silent invalid_grant (503).
                await audit.RecordAsync(context, profile.Tenant, AuditActions.WorkloadLogin, target, AuditOutcomes.Error, AuditReason.Unavailable).ConfigureAwait(false);
                throw;
            }

            if (subject is not null)
            {
                matched.Add((profile, subject, tokenExpires));
            }
            else
            {
                failure ??= why;
            }
        }

        if (matched.Count != 1)
        {
            // None: the first profile's failure (its tenant's trail); several tenants' profiles of that name: refuse rather than pick.
            var tenant = matched.Count == 0 ? candidates[0].Tenant : Tenants.Default;
            return await InvalidGrantAsync(context, tenant, target, matched.Count == 0 ? failure! : "ambiguous").ConfigureAwait(false);
        }

        return await IssueAsync(context, matched[0].Profile, matched[0].Subject, matched[0].TokenExpires, target).ConfigureAwait(false);
    }

    /// <summary>The profiles a <c>resource</c> names: <c>name</c> in any tenant, or <c>tenant/name</c>.</summary>
    private async Task<IReadOnlyList<WorkloadProfile>> FindProfilesAsync(string resource, CancellationToken cancellationToken)
    {
        var slash = resource.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return Names.IsValidCredentialName(resource) ? await profiles.FindAsync(resource, cancellationToken).ConfigureAwait(false) : [];
        }

        var (tenant, name) = (resource[..slash], resource[(slash + 1)..]);
        return Names.IsValidTenant(tenant) && Names.IsValidCredentialName(name)
            && await profiles.GetAsync(tenant, name, cancellationToken).ConfigureAwait(false) is { } profile ? [profile] : [];
    }

    /// <summary>The token's subject and expiry when it passes every check of the profile; otherwise the name of the check that failed.</summary>
    private async Task<(string? Subject, string Failure, DateTimeOffset Expires)> MatchAsync(WorkloadProfile profile, string token, CancellationToken cancellationToken)
    {
        var trusted = await issuers.TrustedAsync(profile.Tenant, IssuerUses.Workloads, cancellationToken).ConfigureAwait(false);
        if (trusted.FirstOrDefault(i => i.Name == profile.Issuer) is not { } issuer)
        {
            return (null, "issuer_not_trusted", default);
        }

        if (JwtChecks.PeekIssuer(token) is not { } iss)
        {
            return (null, token.Length > JwtChecks.MaxTokenLength ? "too_long" : "malformed", default);
        }

        if (!string.Equals(iss, issuer.Issuer, StringComparison.Ordinal))
        {
            return (null, "issuer", default);
        }

        var checkedToken = await jwts.CheckAsync(issuer, token, cancellationToken).ConfigureAwait(false);
        if (checkedToken.Validated is not { } validated)
        {
            return (null, checkedToken.Failure ?? "invalid", default);
        }

        if (!WildcardPattern.IsMatch(profile.SubjectPattern, validated.Subject))
        {
            return (null, "subject", default);
        }

        foreach (var (claim, pattern) in profile.Claims)
        {
            if (!ClaimMatches(checkedToken.Token!, claim, pattern))
            {
                return (null, "claim:" + claim, default);
            }
        }

        // The access token is a key named after the subject.
        // exp is required by the checks, so ValidTo is the token's own expiry (UTC).
        var expires = new DateTimeOffset(DateTime.SpecifyKind(checkedToken.Token!.ValidTo, DateTimeKind.Utc));
        return Names.IsValidKeyName(validated.Subject) ? (validated.Subject, "", expires) : (null, "subject_name", default);
    }

    /// <summary>
    /// A claim whose value (a string, number or boolean as written; for an array, any element) matches the pattern;
    /// objects never do. The top-level claim of exactly that name decides when the token has one; otherwise a name
    /// with <c>/</c> is a path into objects: <c>kubernetes.io/namespace</c> is the <c>namespace</c> member of the
    /// <c>kubernetes.io</c> object (a Kubernetes service-account token).
    /// </summary>
    private static bool ClaimMatches(JsonWebToken token, string claim, string pattern)
    {
        var topLevel = token.Claims.Where(c => c.Type == claim).ToList();
        if (topLevel.Count > 0)
        {
            return topLevel.Any(c => c.ValueType is not (JsonClaimValueTypes.Json or JsonClaimValueTypes.JsonArray or JsonClaimValueTypes.JsonNull)
                && WildcardPattern.IsMatch(pattern, c.Value));
        }

        var path = claim.Split('/');
        if (path.Length < 2 || path.Any(string.IsNullOrEmpty))
        {
            return false;
        }

        // The payload was checked with the signature; it is read again here only to walk into its objects.
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedPayload));
        var node = payload.RootElement;
        foreach (var member in path)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(member, out node))
            {
                return false;
            }
        }

        return node.ValueKind == JsonValueKind.Array
            ? node.EnumerateArray().Any(e => ScalarMatches(e, pattern))
            : ScalarMatches(node, pattern);
    }

    private static bool ScalarMatches(JsonElement value, string pattern) => value.ValueKind switch
    {
        JsonValueKind.String => WildcardPattern.IsMatch(pattern, value.GetString()!),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => WildcardPattern.IsMatch(pattern, value.GetRawText()),
        _ => false,
    };

    /// <summary>
    /// Issues the access token: it lives the profile's TTL, but never past the workload JWT's own expiry (plus the
    /// <see cref="JwtChecks.ClockSkew"/> its check allowed), so a stolen JWT buys no time beyond its own life.
    /// </summary>
    private async Task<WorkloadLoginResult> IssueAsync(AuditContext context, WorkloadProfile profile, string subject, DateTimeOffset tokenExpires, string target)
    {
        var now = time.GetUtcNow();
        var ttlSeconds = (int)Math.Clamp(Math.Floor((tokenExpires + JwtChecks.ClockSkew - now).TotalSeconds), 1, profile.TtlSeconds);
        var expiresAt = now.AddSeconds(ttlSeconds);
        var reason = new AuditReason().Add("subject", AuditTrail.Bounded(subject)).Add("ttl", ttlSeconds).ToString();

        // Fail closed: the key exists only once the login's record is durable. A profile deleted meanwhile takes the key with it.
        var issued = await audit.ChangeAsync(context, profile.Tenant, AuditActions.WorkloadLogin, target, reason, async ct =>
        {
            var key = await keys.IssueAsync(profile.Tenant, Role.Agent, WorkloadProfiles.KeyRequestOf(profile.Key, profile.Tenant, subject, expiresAt), ct).ConfigureAwait(false);
            if (await profiles.AddKeyAsync(profile.Id, key.Key.Id, expiresAt, ct).ConfigureAwait(false))
            {
                return key;
            }

            await keys.RevokeManyAsync(profile.Tenant, [key.Key.Id], ct).ConfigureAwait(false);
            return null;
        }, key => key is null ? "profile_deleted" : null).ConfigureAwait(false);

        return issued is null
            ? WorkloadLoginResult.Failed(WorkloadLoginResult.InvalidGrant)
            : new WorkloadLoginResult(issued.Secret, ttlSeconds, null);
    }

    private Task<WorkloadLoginResult> InvalidGrantAsync(AuditContext context, string tenant, string target, string why) =>
        RefuseAsync(context, tenant, target, WorkloadLoginResult.InvalidGrant, why);

    private async Task<WorkloadLoginResult> RefuseAsync(AuditContext context, string tenant, string target, string error, string why)
    {
        await audit.RecordAsync(context, tenant, AuditActions.WorkloadLogin, target, AuditOutcomes.Denied, new AuditReason(error).Add("check", why).ToString()).ConfigureAwait(false);
        return WorkloadLoginResult.Failed(error);
    }
}
