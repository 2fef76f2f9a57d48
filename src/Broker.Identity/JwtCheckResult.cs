using Microsoft.IdentityModel.JsonWebTokens;

namespace Broker.Identity;

/// <summary>
/// What <see cref="JwtChecks.CheckAsync"/> found: the validated subject and the token (its claims) when every check
/// passed, else <see cref="Failure"/>, a short name of the check that failed, meant for the audit trail only.
/// </summary>
public sealed record JwtCheckResult(ValidatedAssertion? Validated, JsonWebToken? Token, string? Failure)
{
    public static JwtCheckResult Failed(string failure) => new(null, null, failure);
}
