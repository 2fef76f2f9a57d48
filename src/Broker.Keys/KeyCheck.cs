namespace Broker.Keys;

/// <summary>The outcome of checking a presented key. Only <see cref="Valid"/> carries the key.</summary>
public enum KeyCheckStatus
{
    Valid,
    Unknown,
    Revoked,
    Expired,
}

public readonly record struct KeyCheck(KeyCheckStatus Status, ApiKeyRecord? Key)
{
    public static readonly KeyCheck Unknown = new(KeyCheckStatus.Unknown, null);
}
