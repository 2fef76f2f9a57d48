namespace Broker.Audit;

/// <summary>Bound from <c>Broker:Audit</c>.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Broker:Audit";

    /// <summary>Records waiting for a commit; beyond it <c>RecordAsync</c> waits up to <see cref="EnqueueTimeout"/>, then fails closed.</summary>
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>At most this many records share one transaction.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>How long <c>RecordAsync</c> waits for room in a full queue before it throws <see cref="AuditUnavailableException"/>; zero fails at once.</summary>
    public TimeSpan EnqueueTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Tries per batch. After a failed append the chain heads are re-read from the store and the batch re-chained
    /// on top of them, which recovers from a conflict with another writer (another replica) or a transient error.
    /// </summary>
    public int AppendAttempts { get; set; } = 2;

    /// <summary>JSON Lines copy of every committed record; empty or absent disables it. Relative paths resolve under <c>Broker:DataDir</c> when set.</summary>
    public string? JsonlPath { get; set; }

    /// <summary>Size at which <c>audit.jsonl</c> rotates to <c>audit.1.jsonl</c>.</summary>
    public long JsonlMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Rotated files kept (<c>audit.1.jsonl</c> .. <c>audit.N.jsonl</c>); older ones are deleted.</summary>
    public int JsonlMaxFiles { get; set; } = 10;

    /// <summary>Committed batches waiting for the secondary sinks; beyond it a batch is dropped from the sinks (logged), never from the store.</summary>
    public int SinkQueueCapacity { get; set; } = 1_024;

    /// <summary>
    /// How many <c>POST /v1/audit/value-reads</c> questions one key may ask in any 60-second window (counted over all
    /// replicas): every answer tells whether a guessed value was ever served, so the route is an oracle.
    /// </summary>
    public int ValueReadsPerMinute { get; set; } = 30;

    /// <summary>
    /// How often the checkpoint writer signs each tenant's head, when records were added since its last checkpoint
    /// (default 10 s; zero turns the writer off).
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The checkpoint file (append-only, fsynced, 0600), meant for another volume or host. Relative paths resolve under
    /// <c>Broker:DataDir</c> when set; default <c>audit-checkpoints.jsonl</c>; <c>off</c> disables the file.
    /// </summary>
    public string? CheckpointPath { get; set; } = DefaultCheckpointPath;

    public const string DefaultCheckpointPath = "audit-checkpoints.jsonl";

    /// <summary>
    /// Retention: records older than this are archived to a JSONL file under <see cref="ArchivePath"/> and deleted, the
    /// chain continuing from a signed anchor (docs/audit.md, "Retention"). Unset (the default) keeps every record.
    /// </summary>
    public TimeSpan? Retention { get; set; }

    /// <summary>The directory of the archive files. Relative paths resolve under <c>Broker:DataDir</c> when set; default <c>audit-archive</c>.</summary>
    public string? ArchivePath { get; set; } = DefaultArchivePath;

    public const string DefaultArchivePath = "audit-archive";

    /// <summary>How often retention runs when <see cref="Retention"/> is set (default 1 hour).</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Records deleted per transaction by a prune, so it never holds the write lock for long.</summary>
    public int PruneBatchSize { get; set; } = 5_000;

    /// <summary>Base64 key (at least 32 bytes) for <see cref="AuditValueHmac"/>. When absent the host registers an <see cref="IValueHmacKeySource"/>.</summary>
    public string? ValueHmacKey { get; set; }
}
