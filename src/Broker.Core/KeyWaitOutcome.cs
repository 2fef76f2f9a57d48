namespace Broker.Core;

/// <summary>How <see cref="IHeldKey.WaitAsync"/> ended.</summary>
public enum KeyWaitOutcome
{
    /// <summary>What was waited for happened, and the key was still valid afterwards.</summary>
    Signalled,

    /// <summary>The deadline passed, and the key was still valid then.</summary>
    TimedOut,

    /// <summary>The key was revoked, rotated away or expired: the request must be answered as unauthenticated.</summary>
    KeyInvalid,
}
