namespace Broker.Vault;

/// <summary>
/// A key-encryption key kept outside the broker (a key vault) and fetched at start. The start calls
/// <see cref="LoadAsync"/> before the key check; when the place it is kept cannot be reached, the broker starts
/// anyway with the <c>key-material</c> readiness check unhealthy, and the provider retries in the background.
/// </summary>
public interface IKeyEncryptionKeyLoader
{
    /// <summary>Fetches the key, choosing the one the store's key-check value was sealed with when there is a choice.</summary>
    /// <exception cref="KeyEncryptionKeyUnavailableException">The key's home cannot be reached now; retrying later may succeed.</exception>
    /// <exception cref="KeyEncryptionKeyException">The key's home answered, and what it holds cannot be this store's key.</exception>
    Task LoadAsync(CancellationToken cancellationToken = default);
}
