namespace Broker.Keys;

/// <summary>The outcome of checking a presented key. Only <see cref="Valid"/> carries the key.</summary>
public enum KeyCheckStatus
{
    Valid,
    Unknown,
    Revoked,
    Expired,
}

/// <param name="Status">What the check found.</param>
/// <param name="Key">The key, when <paramref name="Status"/> is <see cref="KeyCheckStatus.Valid"/>.</param>
/// <param name="ValidUntil">
/// When a valid key stops being valid by itself (its expiry, or the end of a rotated secret's grace period); null
/// when it does not. Revocation can end it earlier at any time.
/// </param>
public readonly record struct KeyCheck(KeyCheckStatus Status, ApiKeyRecord? Key, DateTimeOffset? ValidUntil = null)
{
    public static readonly KeyCheck Unknown = new(KeyCheckStatus.Unknown, null);
}
