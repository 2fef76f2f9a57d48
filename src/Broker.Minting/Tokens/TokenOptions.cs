namespace Broker.Minting.Tokens;

/// <summary>Options under <c>Broker</c> that minting reads.</summary>
public sealed class TokenOptions
{
    public const string SectionName = "Broker";

    /// <summary>
    /// The <c>iss</c> claim and the discovery document's issuer (<c>Broker:Issuer</c>). The host defaults it to its
    /// first listening URL; a trailing slash is removed.
    /// </summary>
    public string? Issuer { get; set; }
}
