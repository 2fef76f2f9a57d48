namespace Broker.Vault;

/// <summary>
/// A key-encryption key with versions (a key vault secret): <c>rewrap</c> re-wraps every data key to
/// <see cref="GetNewestAsync"/>, unwrapping each with the version named by its stored KEK id.
/// </summary>
public interface IKeyEncryptionKeyVersions
{
    /// <summary>The version to re-wrap to (a pinned version, else the newest enabled one).</summary>
    Task<IKeyEncryptionKey> GetNewestAsync(CancellationToken cancellationToken = default);

    /// <summary>Every enabled version, by KEK id.</summary>
    Task<IReadOnlyDictionary<string, IKeyEncryptionKey>> GetAllAsync(CancellationToken cancellationToken = default);
}
