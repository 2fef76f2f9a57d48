namespace Broker.Client.Admin;

/// <summary>v1.1: which requests of an agent key wait for a human (<c>approval</c> on a key), by pattern.</summary>
/// <param name="Scopes">Token scopes that need approval.</param>
/// <param name="Roles">STS roles that need approval.</param>
/// <param name="Credentials">Credential reads that need approval.</param>
public sealed record BrokerApprovalGrant(IReadOnlyList<string>? Scopes = null, IReadOnlyList<string>? Roles = null, IReadOnlyList<string>? Credentials = null);
