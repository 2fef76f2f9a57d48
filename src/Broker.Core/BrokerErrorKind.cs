namespace Broker.Core;

public enum BrokerErrorKind
{
    Validation,
    NotFound,
    Forbidden,
    Conflict,
    PreconditionFailed,
    /// <summary>A dependency (store, audit, key material) cannot answer: fail closed, 503.</summary>
    Unavailable,
    /// <summary>An upstream service (STS) refused or failed: 502.</summary>
    Upstream,

    /// <summary>Over a limit; ask again later: 429.</summary>
    RateLimited,
}
