namespace Broker.Cli.Verification;

/// <summary>The result of <c>audit verify-file</c>: valid when every chain holds and no checkpoint was cut or rewritten.</summary>
internal sealed record AuditFileReport(bool Valid, long Records, IReadOnlyList<AuditChainReport> Tenants, IReadOnlyList<CheckpointReport> Checkpoints);
