namespace Broker.Client.Admin;

/// <summary>The answer to a revoke: once it is received, no request with the key succeeds, on any replica.</summary>
/// <param name="Id">The revoked key's id.</param>
/// <param name="Status"><c>revoked</c>.</param>
/// <param name="RevokedAt">When it was revoked.</param>
public sealed record BrokerKeyRevocation(
    string Id,
    string Status,
    DateTimeOffset RevokedAt);
