namespace Broker.Keys;

/// <summary>The replica cache lease (<c>Broker:Replicas</c>): see docs/replicas.md for the bound these give.</summary>
public sealed class KeyLeaseOptions
{
    public const string Section = "Broker:Replicas";

    /// <summary>How long a catch-up on the revocation log lets the key cache answer from memory; also the most a revoke waits for a silent replica.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the follower reads the revocation log when no notification woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(150);
}
