namespace Broker.Audit;

/// <summary>
/// The checkpoints the broker wrote, kept in the database beside the chain (append-only like it). They are a
/// convenience for <c>GET /v1/audit/verify</c>; the checkpoint file, meant for another volume or host, is the anchor
/// that someone who can rewrite the database cannot reach.
/// </summary>
public interface IAuditCheckpointStore
{
    /// <summary>Adds a checkpoint; one for the same (tenant, id) already there is kept and this one ignored.</summary>
    Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>The tenant's checkpoint with the highest id, or null.</summary>
    Task<AuditCheckpoint?> GetLatestCheckpointAsync(string tenant, CancellationToken cancellationToken = default);
}
