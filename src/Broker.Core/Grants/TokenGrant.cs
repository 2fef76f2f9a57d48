namespace Broker.Core.Grants;

/// <summary>What tokens an agent key may mint: audiences and scopes by pattern, and the longest lifetime.</summary>
/// <param name="Audiences">Patterns an audience must match one of.</param>
/// <param name="Scopes">Patterns each requested scope must match one of; null or empty: no scope may be requested.</param>
/// <param name="MaxTtlSeconds">The longest lifetime (default <see cref="DefaultMaxTtlSeconds"/>).</param>
public sealed record TokenGrant(IReadOnlyList<string> Audiences, IReadOnlyList<string>? Scopes = null, int? MaxTtlSeconds = null)
{
    public const int DefaultMaxTtlSeconds = 3600;

    [System.Text.Json.Serialization.JsonIgnore]
    public int EffectiveMaxTtlSeconds => MaxTtlSeconds ?? DefaultMaxTtlSeconds;
}
