namespace Broker.Vault;

/// <summary>The key-encryption key is missing, wrong, or cannot unwrap what the store holds.</summary>
public sealed class KeyEncryptionKeyException(string message, Exception? inner = null) : Exception(message, inner);
