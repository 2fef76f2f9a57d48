namespace Broker.Keys;

/// <summary>The answer to an agent verifying one of its callers' keys. <see cref="Reason"/> is the contract's wire word.</summary>
public sealed record InboundVerification(bool Valid, string? Reason, ApiKeyRecord? Key, TimeSpan RetryAfter = default)
{
    public const string Unknown = "unknown";
    public const string Revoked = "revoked";
    public const string Expired = "expired";
    public const string Forbidden = "forbidden";
    public const string RateLimited = "rate_limited";
    public const string QuotaExceeded = "quota_exceeded";
}
