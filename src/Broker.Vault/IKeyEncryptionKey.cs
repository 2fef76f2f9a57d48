namespace Broker.Vault;

/// <summary>
/// A key-encryption key (KEK): wraps and unwraps data keys. The data keys never leave memory unwrapped;
/// only their wrapped form is stored.
/// </summary>
public interface IKeyEncryptionKey
{
    /// <summary>A non-secret identifier of this KEK, stored beside every data key it wraps.</summary>
    string Id { get; }

    byte[] Wrap(ReadOnlySpan<byte> dataKey);

    /// <summary>Unwraps a data key.</summary>
    /// <exception cref="KeyEncryptionKeyException">The wrapped key was not made by this KEK, or was altered.</exception>
    byte[] Unwrap(ReadOnlySpan<byte> wrappedKey);
}
