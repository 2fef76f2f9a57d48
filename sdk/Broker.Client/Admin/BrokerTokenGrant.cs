namespace Broker.Client.Admin;

/// <summary>v1.1: what tokens an agent key may mint (<c>tokens</c> on a key). A key without one mints no token.</summary>
/// <param name="Audiences">Patterns an audience must match one of (<c>*</c> matches any run of characters); empty: no audience.</param>
/// <param name="Scopes">Patterns each requested scope must match one of; null or empty: no scope may be requested.</param>
/// <param name="MaxTtlSeconds">The longest token lifetime; null: the broker's default (3600).</param>
public sealed record BrokerTokenGrant(IReadOnlyList<string> Audiences, IReadOnlyList<string>? Scopes = null, int? MaxTtlSeconds = null);
