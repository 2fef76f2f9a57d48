namespace Broker.Keys;

/// <summary>What <see cref="KeyService.EnsureBootstrapAsync"/> did at start. Holds no secret but <see cref="Created"/>'s.</summary>
/// <param name="Created">The bootstrap key registered now (its secret is the configured or generated one), or null.</param>
/// <param name="ReplacedKeyIds">Earlier bootstrap keys revoked now because the configured value replaced them.</param>
/// <param name="ConfiguredKeyUsable">
/// False when the configured value belongs to a key that is no longer an active bootstrap key (it rotated itself,
/// was revoked, or is another key's secret): the store then has no usable bootstrap key from configuration.
/// </param>
public sealed record BootstrapResult(IssuedKey? Created, IReadOnlyList<string> ReplacedKeyIds, bool ConfiguredKeyUsable)
{
    public static readonly BootstrapResult Unchanged = new(null, [], true);
}
