namespace Broker.Keys;

/// <summary>
/// What a revoke or rotation waits for before it answers: in one process nothing; with replicas, until every live
/// replica acknowledged the latest key event or the cache lease bound has passed (docs/revocation.md).
/// </summary>
public interface IRevocationBarrier
{
    /// <summary>Call after the store committed the event and the local cache was invalidated. Never throws for a store failure: it then waits out the lease bound.</summary>
    Task WaitForReplicasAsync(CancellationToken cancellationToken = default);
}
