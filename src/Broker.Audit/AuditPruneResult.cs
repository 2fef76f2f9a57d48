namespace Broker.Audit;

/// <summary>What one retention run did for one tenant: the archive file written (or re-used), the new anchor, and how many records it deleted.</summary>
public sealed record AuditPruneResult(string Tenant, string ArchiveFile, AuditCheckpoint Anchor, long Archived, long Deleted);
