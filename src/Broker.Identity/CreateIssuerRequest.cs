using System.Text.Json;

namespace Broker.Identity;

/// <summary>The body of <c>POST /v1/issuers</c>: <see cref="Jwks"/> is a JWKS object (public keys only), the alternative to <see cref="JwksUri"/>.</summary>
public sealed record CreateIssuerRequest(
    string? Name,
    string? Issuer,
    string? JwksUri,
    JsonElement? Jwks,
    IReadOnlyList<string>? Audiences,
    string? SubjectClaim,
    string? Use);
