namespace Broker.Keys;

/// <summary>Tells the other replicas that this one is alive and has applied every key event up to a sequence.</summary>
public interface IReplicaHeartbeat
{
    /// <summary>Records the heartbeat (and the acknowledgement). Throws when the store does not answer.</summary>
    Task BeatAsync(long ackedSequence, CancellationToken cancellationToken = default);
}
