using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity;

/// <summary>
/// Validates a JWT against one trusted issuer with <see cref="JsonWebTokenHandler"/>: signature by one of the issuer's
/// keys with an asymmetric algorithm (never <c>none</c>, never HMAC: a public key used as an HMAC secret proves
/// nothing), <c>iss</c>, one of its audiences, <c>exp</c> required, lifetime with <see cref="ClockSkew"/>.
/// An unknown <c>kid</c> fetches the issuer's keys again (rate-limited in <see cref="IssuerKeys"/>) and retries once.
/// </summary>
public sealed class JwtChecks(IssuerKeys keys)
{
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>The longest token accepted (a header plus a few claims is far less).</summary>
    public const int MaxTokenLength = 16 * 1024;

    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    /// <summary>The <c>iss</c> of a well-formed token, unvalidated (only to choose which issuer validates it), or null.</summary>
    public static string? PeekIssuer(string token)
    {
        if (token.Length > MaxTokenLength || !Handler.CanReadToken(token))
        {
            return null;
        }

        try
        {
            return Handler.ReadJsonWebToken(token).Issuer;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The token's subject claim and expiry when it passes every check against <paramref name="issuer"/>; null otherwise.</summary>
    /// <exception cref="Broker.Core.BrokerOperationException">Unavailable: the issuer's keys could not be fetched.</exception>
    public async ValueTask<ValidatedAssertion?> ValidateAsync(TrustedIssuer issuer, string token, CancellationToken cancellationToken = default) =>
        (await CheckAsync(issuer, token, cancellationToken).ConfigureAwait(false)).Validated;

    /// <summary>
    /// Every check of <see cref="ValidateAsync"/>, with the token's claims when it passes and, when it does not, which
    /// check failed (for the audit trail only: a client is never told).
    /// </summary>
    /// <exception cref="Broker.Core.BrokerOperationException">Unavailable: the issuer's keys could not be fetched.</exception>
    public async ValueTask<JwtCheckResult> CheckAsync(TrustedIssuer issuer, string token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length > MaxTokenLength)
        {
            return JwtCheckResult.Failed("too_long");
        }

        var result = await ValidateWithAsync(issuer, token, await keys.GetAsync(issuer, false, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException && issuer.JwksUri is not null)
        {
            result = await ValidateWithAsync(issuer, token, await keys.GetAsync(issuer, true, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return JwtCheckResult.Failed(FailureOf(result.Exception));
        }

        if (!jwt.TryGetPayloadValue<string>(issuer.SubjectClaim, out var subject) || string.IsNullOrEmpty(subject))
        {
            return JwtCheckResult.Failed("subject_claim");
        }

        return new JwtCheckResult(new ValidatedAssertion(issuer, subject, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero)), jwt, null);
    }

    /// <summary>A short name of the check that failed (never a value from the token).</summary>
    private static string FailureOf(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "expired",
        SecurityTokenNotYetValidException => "not_yet_valid",
        SecurityTokenNoExpirationException => "no_expiry",
        SecurityTokenInvalidAudienceException => "audience",
        SecurityTokenInvalidIssuerException => "issuer",
        SecurityTokenSignatureKeyNotFoundException => "unknown_kid",
        SecurityTokenInvalidAlgorithmException => "algorithm",
        SecurityTokenInvalidSignatureException => "signature",
        SecurityTokenMalformedException => "malformed",
        _ => "invalid",
    };

    private static Task<TokenValidationResult> ValidateWithAsync(TrustedIssuer issuer, string token, IList<SecurityKey> signingKeys) =>
        Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer.Issuer,
            ValidAudiences = issuer.Audiences,
            IssuerSigningKeys = signingKeys,
            ValidAlgorithms = Algorithms,
            ClockSkew = ClockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireAudience = true,
            TryAllIssuerSigningKeys = false,
        });
}
