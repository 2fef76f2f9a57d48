namespace Broker.Core.Grants;

/// <summary>What STS sessions an agent key may mint beyond the credential's own role, and for how long.</summary>
/// <param name="Roles">Patterns a role other than the credential's own must match one of; null or empty: only the credential's own role.</param>
/// <param name="MaxDurationSeconds">The longest session (default <see cref="DefaultMaxDurationSeconds"/>).</param>
public sealed record StsGrant(IReadOnlyList<string>? Roles = null, int? MaxDurationSeconds = null)
{
    public const int DefaultMaxDurationSeconds = 3600;

    [System.Text.Json.Serialization.JsonIgnore]
    public int EffectiveMaxDurationSeconds => MaxDurationSeconds ?? DefaultMaxDurationSeconds;
}
