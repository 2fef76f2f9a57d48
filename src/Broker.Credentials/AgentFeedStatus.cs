namespace Broker.Credentials;

/// <summary>How a read of the agent feed ended.</summary>
public enum AgentFeedStatus
{
    /// <summary>Values (possibly none) and removals after the cursor; their reads are recorded.</summary>
    Changed,

    /// <summary>Nothing the key may read changed after the cursor the agent holds (304).</summary>
    NotModified,

    /// <summary>The key stopped being valid while the request was held (401); recorded as a denied request.</summary>
    KeyInvalid,

    /// <summary>The key holds too many long-polls at once (429); recorded as a denied request.</summary>
    TooManyWaits,
}
