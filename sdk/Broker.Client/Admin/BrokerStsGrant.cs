namespace Broker.Client.Admin;

/// <summary>v1.1: what AWS sessions an agent key may get beyond its credentials' own roles (<c>sts</c> on a key).</summary>
/// <param name="Roles">Patterns another role must match one of; null or empty: only the credential's own role.</param>
/// <param name="MaxDurationSeconds">The longest session; null: the broker's default (3600).</param>
public sealed record BrokerStsGrant(IReadOnlyList<string>? Roles = null, int? MaxDurationSeconds = null);
