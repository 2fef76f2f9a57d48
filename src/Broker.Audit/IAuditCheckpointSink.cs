namespace Broker.Audit;

/// <summary>A secondary sink that also records checkpoints, after the records they cover (the JSONL sink).</summary>
public interface IAuditCheckpointSink
{
    ValueTask WriteCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken);
}
