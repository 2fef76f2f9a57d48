namespace Broker.Audit;

/// <summary>What checking a checkpoint's signature found.</summary>
public enum AuditCheckpointCheck
{
    Valid,

    /// <summary>No known audit key has the checkpoint's kid.</summary>
    UnknownKey,

    /// <summary>The signature does not verify, or what it signs is not the checkpoint's fields.</summary>
    BadSignature,
}
