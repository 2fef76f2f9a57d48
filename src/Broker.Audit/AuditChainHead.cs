namespace Broker.Audit;

/// <summary>The last record of a tenant's chain: the next record gets <c>Id + 1</c> and <c>PrevHash = Hash</c>.</summary>
public readonly record struct AuditChainHead(long Id, string Hash)
{
    /// <summary>The head of an empty chain: id 0, <see cref="AuditChain.GenesisHash"/>.</summary>
    public static AuditChainHead Genesis => new(0, AuditChain.GenesisHash);
}
