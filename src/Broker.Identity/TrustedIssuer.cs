namespace Broker.Identity;

/// <summary>
/// An issuer whose JWTs a tenant trusts, for <see cref="IssuerUses.Users"/> (user assertions) or
/// <see cref="IssuerUses.Workloads"/> (workload login): its <c>iss</c>, where its keys are (exactly one of
/// <see cref="JwksUri"/> and <see cref="Jwks"/>, the latter a JWKS document of public keys), the audiences it must
/// name, and the claim that holds the subject.
/// </summary>
public sealed record TrustedIssuer(
    string Tenant,
    string Name,
    string Issuer,
    string? JwksUri,
    string? Jwks,
    IReadOnlyList<string> Audiences,
    string SubjectClaim,
    string Use,
    DateTimeOffset CreatedAt);
