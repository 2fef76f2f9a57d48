namespace Broker.Vault;

/// <summary>A store holding wrapped data keys, which a key-encryption-key change must re-wrap (without decrypting values).</summary>
public interface IRewrappableStore
{
    /// <summary>Passes every stored (wrapped key, KEK id) through <paramref name="rewrap"/> and stores the result, in one transaction.</summary>
    Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default);
}
