namespace Broker.Credentials;

/// <summary>What the agent feed answers: a status, the cursor to hold next, and the values and removals it may see.</summary>
public sealed record AgentFeedResult(AgentFeedStatus Status, long Cursor, IReadOnlyList<CredentialValue> Values, IReadOnlyList<string> Removed)
{
    public static AgentFeedResult Refused(AgentFeedStatus status) => new(status, 0, [], []);
}
