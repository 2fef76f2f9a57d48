namespace Broker.Identity;

/// <summary>Where the trusted issuers of every tenant are kept (one row per tenant and name).</summary>
public interface ITrustedIssuerStore
{
    /// <summary>The tenant's issuers, by name.</summary>
    Task<IReadOnlyList<TrustedIssuer>> ListAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>Adds an issuer; false when the tenant already has one of that name (nothing changed).</summary>
    Task<bool> InsertAsync(TrustedIssuer issuer, CancellationToken cancellationToken = default);

    /// <summary>Removes an issuer; false when the tenant has none of that name.</summary>
    Task<bool> DeleteAsync(string tenant, string name, CancellationToken cancellationToken = default);
}
