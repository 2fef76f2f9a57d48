namespace Broker.Credentials;

/// <summary>Limits of the agent credential feed (<c>Broker:*</c>).</summary>
public sealed class AgentFeedOptions
{
    /// <summary>The longest a long-poll may wait (<c>wait=</c>), in seconds.</summary>
    public const int MaxWaitSeconds = 60;

    /// <summary>
    /// Concurrent long-polls one agent key may hold (<c>Broker:MaxLongPollsPerKey</c>): enough for a fleet of pods that
    /// share one key, still a bound on what one leaked key can hold.
    /// </summary>
    public int MaxLongPollsPerKey { get; set; } = 512;

    /// <summary>
    /// Concurrent long-polls the whole broker holds (<c>Broker:MaxLongPolls</c>). A held poll costs about 36 KB
    /// (docs/long-poll.md), so the default bounds them near 360 MB; one more is refused like a key over its cap.
    /// </summary>
    public int MaxLongPolls { get; set; } = 10_000;
}
