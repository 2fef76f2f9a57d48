using Broker.Vault;

namespace Broker.Audit;

/// <summary>
/// Durable home of the audit's secret keys that are never published (the value-HMAC key), shared by every replica.
/// Holds each key only sealed and never decrypts; a key, once stored under its name, is never replaced or deleted
/// (only re-wrapped when the key-encryption key changes).
/// </summary>
public interface IAuditSealedKeyStore
{
    /// <summary>The key stored under <paramref name="name"/>, or <see langword="null"/>.</summary>
    Task<SealedValue?> GetSealedKeyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="key"/> under <paramref name="name"/> unless a key is already there, and returns the one
    /// that is stored: of replicas racing to create it, every one gets the same winner.
    /// </summary>
    Task<SealedValue> AddSealedKeyAsync(string name, SealedValue key, DateTimeOffset createdAt, CancellationToken cancellationToken = default);
}
