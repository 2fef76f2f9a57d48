namespace Broker.Credentials;

/// <summary>Limits of the agent credential feed (<c>Broker:*</c>).</summary>
public sealed class AgentFeedOptions
{
    /// <summary>The longest a long-poll may wait (<c>wait=</c>), in seconds.</summary>
    public const int MaxWaitSeconds = 60;

    /// <summary>Concurrent long-polls one agent key may hold (<c>Broker:MaxLongPollsPerKey</c>).</summary>
    public int MaxLongPollsPerKey { get; set; } = 8;
}
