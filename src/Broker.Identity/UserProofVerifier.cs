using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Broker.Core;
using Broker.Core.Grants;
using Broker.Keys;

namespace Broker.Identity;

/// <summary>
/// Proof of the user a request names (API.md v1.1 "Acting for a user"): a JWT from a trusted <c>users</c> issuer of
/// the caller's tenant whose subject claim is that user, or that user's own caller key (its <c>subject</c>, and its
/// <c>agents</c> patterns allowing this agent). Validated assertions are kept by their SHA-256 until they expire, so
/// the hot path pays for a signature check once per assertion; an issuer removed here stops its cached assertions at
/// once.
/// </summary>
public sealed class UserProofVerifier(IssuerRegistry issuers, JwtChecks jwts, KeyAuthenticator callerKeys, TimeProvider time) : IUserProofs
{
    /// <summary>How many validated assertions are kept at most (beyond it, expired ones go first, then all).</summary>
    public const int MaxCachedAssertions = 10_000;

    private readonly ConcurrentDictionary<string, ValidatedAssertion> _validated = new(StringComparer.Ordinal);

    public int CachedAssertions => _validated.Count;

    public async ValueTask<UserProofResult> ProveAsync(Caller caller, string user, UserProof? proof, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Grants?.Subjects == SubjectsGrant.Any)
        {
            return UserProofResult.Any;
        }

        if (proof?.Assertion is { } assertion)
        {
            var validated = await ValidateAssertionAsync(caller.Tenant, assertion, cancellationToken).ConfigureAwait(false);
            if (validated is not null && string.Equals(validated.Subject, user, StringComparison.Ordinal))
            {
                return new UserProofResult(true, UserProofResult.ByAssertion, Issuer: validated.Issuer.Name);
            }
        }

        if (proof?.CallerKey is { } key)
        {
            var check = await callerKeys.CheckAsync(key, cancellationToken).ConfigureAwait(false);
            if (check.Status == KeyCheckStatus.Valid && check.Key is { } k && k.Role == Role.Caller && k.Tenant == caller.Tenant
                && string.Equals(k.EffectiveSubject, user, StringComparison.Ordinal) && WildcardPattern.MatchesAny(k.AgentPatterns, caller.Name))
            {
                return new UserProofResult(true, UserProofResult.ByCallerKey, KeyId: k.Id);
            }
        }

        return UserProofResult.None;
    }

    /// <summary>A user assertion valid now for one of the tenant's <c>users</c> issuers, or null.</summary>
    private async ValueTask<ValidatedAssertion?> ValidateAssertionAsync(string tenant, string assertion, CancellationToken cancellationToken)
    {
        var trusted = await issuers.TrustedAsync(tenant, IssuerUses.Users, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var hash = HashOf(tenant, assertion);
        if (_validated.TryGetValue(hash, out var cached))
        {
            // Still trusted: the same issuer (name and creation) is still registered, and the assertion has not expired.
            if (cached.ExpiresAt > now && trusted.Any(i => i.Name == cached.Issuer.Name && i.CreatedAt == cached.Issuer.CreatedAt))
            {
                return cached;
            }

            _validated.TryRemove(hash, out _);
        }

        if (JwtChecks.PeekIssuer(assertion) is not { } iss)
        {
            return null;
        }

        foreach (var issuer in trusted.Where(i => string.Equals(i.Issuer, iss, StringComparison.Ordinal)))
        {
            if (await jwts.ValidateAsync(issuer, assertion, cancellationToken).ConfigureAwait(false) is { } validated)
            {
                Remember(hash, validated, now);
                return validated;
            }
        }

        return null;
    }

    private void Remember(string hash, ValidatedAssertion validated, DateTimeOffset now)
    {
        if (_validated.Count >= MaxCachedAssertions)
        {
            foreach (var (key, value) in _validated)
            {
                if (value.ExpiresAt <= now)
                {
                    _validated.TryRemove(key, out _);
                }
            }

            if (_validated.Count >= MaxCachedAssertions)
            {
                _validated.Clear();
            }
        }

        _validated[hash] = validated;
    }

    private static string HashOf(string tenant, string assertion) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(tenant + "\n" + assertion)));
}
