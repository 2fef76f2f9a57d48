namespace Broker.Keys;

/// <summary>A key found by the hash of a presented secret; <see cref="SecretExpiresAt"/> is set for a secret kept through a rotation's grace period.</summary>
public sealed record KeyHashMatch(ApiKeyRecord Key, DateTimeOffset? SecretExpiresAt);
