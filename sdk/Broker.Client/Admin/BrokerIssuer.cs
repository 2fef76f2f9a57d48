using System.Text.Json;

namespace Broker.Client.Admin;

/// <summary>v1.1: an issuer whose JWTs the tenant trusts (<c>GET /v1/issuers</c>): for user assertions or workload logins.</summary>
/// <param name="Name">The issuer's name in the tenant.</param>
/// <param name="Issuer">The <c>iss</c> its tokens carry.</param>
/// <param name="JwksUri">Where its keys are fetched; null when they were given inline.</param>
/// <param name="Jwks">Its keys given inline (public keys only); null when fetched from <paramref name="JwksUri"/>.</param>
/// <param name="Audiences">The <c>aud</c> values accepted.</param>
/// <param name="SubjectClaim">The claim that names the user (default <c>sub</c>).</param>
/// <param name="Use"><c>users</c> or <c>workloads</c>.</param>
/// <param name="CreatedAt">When it was added.</param>
public sealed record BrokerIssuer(
    string Name,
    string Issuer,
    string? JwksUri,
    JsonElement? Jwks,
    IReadOnlyList<string> Audiences,
    string SubjectClaim,
    string Use,
    DateTimeOffset CreatedAt);
