namespace Broker.Vault;

/// <summary>Holds one sealed known value, so the broker can prove at start that its key-encryption key is the store's.</summary>
public interface IVaultCanaryStore
{
    Task<SealedValue?> GetCanaryAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores the canary unless one exists; returns the one stored.</summary>
    Task<SealedValue> SetCanaryIfAbsentAsync(SealedValue canary, CancellationToken cancellationToken = default);
}
