namespace Broker.Minting.Signing;

/// <summary>Options under <c>Broker:Signing</c>.</summary>
public sealed class SigningOptions
{
    public const string SectionName = "Broker:Signing";

    /// <summary>How long a key signs before a new one replaces it (<c>Broker:Signing:RotationInterval</c>, default 30 days).</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How old this replica's view of the store may get before it reloads (<c>Broker:Signing:RefreshInterval</c>,
    /// default 1 minute). Bounds how long a replica can keep signing with a key another replica retired.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Extra time a retired key stays published after its last token's expiry (<c>Broker:Signing:RetirementMargin</c>,
    /// default 10 minutes). Must exceed <see cref="RefreshInterval"/> plus any clock skew between replicas.
    /// </summary>
    public TimeSpan RetirementMargin { get; set; } = TimeSpan.FromMinutes(10);

    internal string? Validate()
    {
        if (RotationInterval < TimeSpan.FromMinutes(1))
        {
            return "Broker:Signing:RotationInterval must be at least one minute.";
        }

        if (RefreshInterval <= TimeSpan.Zero)
        {
            return "Broker:Signing:RefreshInterval must be positive.";
        }

        if (RetirementMargin <= RefreshInterval)
        {
            return "Broker:Signing:RetirementMargin must exceed Broker:Signing:RefreshInterval.";
        }

        return null;
    }
}
