namespace Broker.Vault;

/// <summary>The key-encryption key cannot be fetched now (its home is unreachable or refuses the broker); a later attempt may succeed.</summary>
public sealed class KeyEncryptionKeyUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
