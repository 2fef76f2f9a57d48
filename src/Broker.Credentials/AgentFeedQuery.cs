namespace Broker.Credentials;

/// <summary>What an agent asks of its feed: everything, or the changes after a cursor, waiting up to <see cref="WaitSeconds"/>.</summary>
/// <param name="Since">The cursor of a delta (<c>since=</c>), or null.</param>
/// <param name="KnownCursor">The cursor the agent already holds (its ETag), or null: unchanged means 304.</param>
/// <param name="WaitSeconds">How long to hold the request when nothing changed (0..<see cref="AgentFeedOptions.MaxWaitSeconds"/>).</param>
public sealed record AgentFeedQuery(long? Since, long? KnownCursor, int WaitSeconds);
