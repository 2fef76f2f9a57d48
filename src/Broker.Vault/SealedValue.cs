namespace Broker.Vault;

/// <summary>
/// A value encrypted under its own data key: <see cref="Ciphertext"/> is nonce ‖ ciphertext ‖ tag (AES-256-GCM);
/// <see cref="WrappedKey"/> is the data key wrapped by the KEK named <see cref="KekId"/>.
/// </summary>
public sealed record SealedValue(byte[] Ciphertext, byte[] WrappedKey, string KekId);
