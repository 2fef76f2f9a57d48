using System.Text.Json.Serialization;

namespace Broker.Minting.Tokens;

/// <summary>
/// The <c>/.well-known/openid-configuration</c> document: enough OpenID Connect Discovery for a validator to find
/// the issuer and the JWKS. The broker issues access tokens, not ID tokens; <c>id_token_signing_alg_values_supported</c>
/// is there because discovery requires it and validators read signing algorithms from it.
/// </summary>
public sealed record OpenIdConfiguration(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("jwks_uri")] string JwksUri,
    [property: JsonPropertyName("response_types_supported")] IReadOnlyList<string> ResponseTypesSupported,
    [property: JsonPropertyName("subject_types_supported")] IReadOnlyList<string> SubjectTypesSupported,
    [property: JsonPropertyName("id_token_signing_alg_values_supported")] IReadOnlyList<string> IdTokenSigningAlgValuesSupported,
    [property: JsonPropertyName("token_endpoint_auth_signing_alg_values_supported")] IReadOnlyList<string> TokenEndpointAuthSigningAlgValuesSupported,
    [property: JsonPropertyName("claims_supported")] IReadOnlyList<string> ClaimsSupported,
    [property: JsonPropertyName("scopes_supported")] IReadOnlyList<string> ScopesSupported)
{
    public const string JwksPath = "/.well-known/jwks.json";
    public const string Path = "/.well-known/openid-configuration";

    /// <summary>
    /// The document for <paramref name="issuer"/> (trailing slash removed, as in the <c>iss</c> claim); the JWKS lives at
    /// <c>{issuer}/.well-known/jwks.json</c>.
    /// </summary>
    public static OpenIdConfiguration For(string issuer)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        issuer = issuer.TrimEnd('/');
        return new OpenIdConfiguration(
            issuer,
            issuer + JwksPath,
            ["token"],
            ["public"],
            ["ES256"],
            ["ES256"],
            ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope", "task_id", "tenant", "client_id", "act"],
            []);
    }
}
