namespace Broker.Client;

/// <summary>Why the broker refused an inbound key.</summary>
public enum InboundKeyFailure
{
    /// <summary>The key is valid.</summary>
    None = 0,
    /// <summary>The broker does not know the key (or it belongs to another tenant).</summary>
    Unknown,
    /// <summary>The key was revoked.</summary>
    Revoked,
    /// <summary>The key expired.</summary>
    Expired,
    /// <summary>The key is not a <c>caller</c> key, or may not call this agent.</summary>
    Forbidden,
    /// <summary>The key exceeded its per-minute rate limit.</summary>
    RateLimited,
    /// <summary>The key exceeded its daily quota.</summary>
    QuotaExceeded,
}
