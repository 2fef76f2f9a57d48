namespace Broker.Cli.Verification;

/// <summary>One tenant's chain in a file: the ids it covers and the first record that fails, if any.</summary>
internal sealed record AuditChainReport(string Tenant, bool Valid, long Count, long? FirstId, long? LastId, long? BrokenAt, string? Problem);
