namespace Broker.Identity;

/// <summary>A JWT that passed every check against <see cref="Issuer"/>: its subject claim, and when it expires.</summary>
public sealed record ValidatedAssertion(TrustedIssuer Issuer, string Subject, DateTimeOffset ExpiresAt);
