namespace Broker.Keys;

/// <summary>
/// Whether the key cache may answer from memory now. In one process it always may (a revoke invalidates the cache
/// directly); with replicas only while the replica has recently caught up on the revocation log (docs/revocation.md).
/// </summary>
public interface IKeyCacheLease
{
    bool IsFresh { get; }
}
