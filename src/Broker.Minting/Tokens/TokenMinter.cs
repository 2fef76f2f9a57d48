using System.Buffers.Text;
using System.Security.Cryptography;
using Broker.Core;
using Broker.Core.Grants;
using Broker.Minting.Signing;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Minting.Tokens;

/// <summary>
/// Mints short-lived ES256 JWT access tokens for agents (<c>POST /v1/tokens</c>).
/// </summary>
/// <remarks>
/// The header's <c>typ</c> is <c>at+jwt</c> (RFC 9068, JWT profile for OAuth 2.0 access tokens), not <c>JWT</c>:
/// these tokens are access tokens presented to resource servers, and the explicit type stops one kind of JWT being
/// accepted as another (RFC 8725 §3.11): a validator that requires <c>at+jwt</c> will not take an ID token or a
/// signed request object from the same issuer as an access token, and an OpenID client will not take these as ID
/// tokens. Validators that ignore <c>typ</c> (the Microsoft.IdentityModel default) accept it unchanged. To follow
/// RFC 9068 fully the payload also carries <c>client_id</c> (the agent key's name) beside <c>iss, sub, aud, exp,
/// iat, jti</c>.
/// </remarks>
public sealed class TokenMinter
{
    /// <summary>The <c>typ</c> header value.</summary>
    public const string TokenType = "at+jwt";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly SigningKeyManager _keys;
    private readonly IOptions<TokenOptions> _options;
    private readonly TimeProvider _time;

    public TokenMinter(SigningKeyManager keys, IOptions<TokenOptions> options, TimeProvider time)
    {
        _keys = keys ?? throw new ArgumentNullException(nameof(keys));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>Mints a token for <paramref name="caller"/> (an agent key).</summary>
    /// <exception cref="ValidationException">A field is missing, too long, has forbidden characters, or
    /// <c>ttlSeconds</c> is outside 5..3600 (fields: <c>audience</c>, <c>task</c>, <c>scopes</c>, <c>ttlSeconds</c>,
    /// <c>onBehalfOf</c>).</exception>
    /// <exception cref="BrokerOperationException">Forbidden: the caller is not an agent key, or a grant refuses
    /// (<see cref="GrantRefusedException"/> naming the rule). Unavailable: no usable signing key, or <c>Broker:Issuer</c> is not set.</exception>
    public async ValueTask<TokenResult> MintAsync(Caller caller, MintTokenRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (caller.Role != Role.Agent)
        {
            throw new BrokerOperationException(BrokerErrorKind.Forbidden, "Only agent keys may mint tokens.");
        }

        var ttl = Validate(request, out var scope);
        GrantPolicy.DemandToken(caller, request.Audience!, scope.Length == 0 ? [] : scope.Split(' '), ttl);
        GrantPolicy.DemandSubject(caller, request.OnBehalfOf, proven: caller.HasProven(request.OnBehalfOf));
        GrantPolicy.DemandNoApproval(caller, scopes: scope.Length == 0 ? [] : scope.Split(' '));
        var issuer = IssuerOf(_options.Value, caller.Tenant);
        var snapshot = await _keys.GetSnapshotAsync(cancellationToken).ConfigureAwait(false);
        return Mint(snapshot.Current, issuer, caller, request, scope, ttl);
    }

    /// <summary>The signing step, separate so the benchmark measures exactly what a request pays after validation.</summary>
    internal TokenResult Mint(SigningKey key, string issuer, Caller caller, MintTokenRequest request, string scope, int ttlSeconds)
    {
        // JWT times are whole seconds; compute exp from the truncated iat so expiresAt equals the claim.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());
        var expiresAt = issuedAt.AddSeconds(ttlSeconds);
        var jti = NewJti();

        var claims = new Dictionary<string, object>(8, StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Jti] = jti,
            ["scope"] = scope,
            ["task_id"] = request.Task!,
            ["tenant"] = caller.Tenant,
            ["client_id"] = caller.Name,
        };
        if (request.OnBehalfOf is { } user)
        {
            claims[JwtRegisteredClaimNames.Sub] = user;
            claims["act"] = new Dictionary<string, object>(1, StringComparer.Ordinal) { [JwtRegisteredClaimNames.Sub] = caller.Name };
        }
        else
        {
            claims[JwtRegisteredClaimNames.Sub] = caller.Name;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = request.Audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            TokenType = TokenType,
            SigningCredentials = key.Credentials,
            Claims = claims,
        };

        return new TokenResult(Handler.CreateToken(descriptor), "Bearer", expiresAt, jti);
    }

    /// <summary>Checks the request; returns the lifetime in seconds and the joined scope string.</summary>
    /// <exception cref="ValidationException">Every invalid field at once.</exception>
    internal static int Validate(MintTokenRequest request, out string scope)
    {
        Dictionary<string, string[]>? errors = null;
        void Fail(string field, string message) => (errors ??= [])[field] = [message];

        if (!TextRules.IsPrintableAscii(request.Audience, TokenLimits.MaxAudienceLength))
        {
            Fail("audience", $"audience is required: 1 to {TokenLimits.MaxAudienceLength} printable ASCII characters without spaces.");
        }

        if (!TextRules.IsSafeText(request.Task, TokenLimits.MaxTaskLength))
        {
            Fail("task", $"task is required: 1 to {TokenLimits.MaxTaskLength} characters, no control characters.");
        }

        scope = string.Empty;
        if (request.Scopes is { } scopes)
        {
            if (scopes.Count > TokenLimits.MaxScopes)
            {
                Fail("scopes", $"At most {TokenLimits.MaxScopes} scopes.");
            }
            else if (scopes.Any(s => !TextRules.IsScopeToken(s, TokenLimits.MaxScopeLength)))
            {
                Fail("scopes", $"Each scope is 1 to {TokenLimits.MaxScopeLength} printable ASCII characters without spaces, quotes or backslashes.");
            }
            else
            {
                scope = string.Join(' ', scopes.Distinct(StringComparer.Ordinal));
                if (scope.Length > TokenLimits.MaxScopeClaimLength)
                {
                    Fail("scopes", $"The scopes together exceed {TokenLimits.MaxScopeClaimLength} characters.");
                }
            }
        }

        var ttl = request.TtlSeconds ?? TokenLimits.DefaultTtlSeconds;
        if (ttl is < TokenLimits.MinTtlSeconds or > TokenLimits.MaxTtlSeconds)
        {
            Fail("ttlSeconds", $"ttlSeconds must lie in {TokenLimits.MinTtlSeconds}..{TokenLimits.MaxTtlSeconds}.");
        }

        if (request.OnBehalfOf is not null && !Names.IsValidSubject(request.OnBehalfOf))
        {
            Fail("onBehalfOf", $"onBehalfOf is 1 to {Names.MaxSubjectLength} printable ASCII characters without spaces.");
        }

        return errors is null ? ttl : throw new ValidationException(errors);
    }

    internal static string IssuerOf(TokenOptions options) =>
        string.IsNullOrWhiteSpace(options.Issuer)
            ? throw new BrokerOperationException(BrokerErrorKind.Unavailable, "Broker:Issuer is not configured.")
            : options.Issuer.TrimEnd('/');

    /// <summary>
    /// The issuer of a tenant's tokens: <c>&lt;issuer&gt;/tenants/&lt;tenant&gt;</c>, and the broker's issuer itself for
    /// the default tenant, so a relying party that pins <c>iss</c> never accepts another tenant's tokens.
    /// </summary>
    internal static string IssuerOf(TokenOptions options, string tenant) => TenantIssuer(IssuerOf(options), tenant);

    /// <summary>The issuer of <paramref name="tenant"/> under the broker's <paramref name="issuer"/>.</summary>
    public static string TenantIssuer(string issuer, string tenant) =>
        tenant == Tenants.Default ? issuer : issuer + "/tenants/" + tenant;

    private static string NewJti()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }
}
