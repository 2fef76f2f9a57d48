namespace Broker.Credentials;

/// <summary>What changed in a tenant's shared values after a cursor: current records of changed names, and removed names.</summary>
public sealed record CredentialChanges(long Cursor, IReadOnlyList<CredentialRecord> Changed, IReadOnlyList<string> Removed);
