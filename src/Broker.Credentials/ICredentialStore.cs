namespace Broker.Credentials;

/// <summary>
/// Storage of outbound credentials. Every query is scoped by tenant in the store itself. Implemented once per
/// database; one storage test suite runs against each.
/// </summary>
public interface ICredentialStore
{
    Task<CredentialRecord?> GetAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<CredentialSummary>> ListAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>Versions of one (name, subject) value, oldest first; empty when absent.</summary>
    Task<IReadOnlyList<CredentialVersionInfo>> ListVersionsAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default);

    /// <summary>Creates, versions or keeps a value atomically (read-compare-write in one transaction).</summary>
    Task<CredentialWriteResult> WriteAsync(CredentialWrite write, ICredentialValueSealer sealer, CancellationToken cancellationToken = default);

    /// <summary>Deletes a value and destroys its sealed versions. <paramref name="subject"/> null deletes the shared value and every subject's.</summary>
    /// <returns>Whether anything was deleted.</returns>
    Task<bool> DeleteAsync(string tenant, string name, string? subject, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The tenant's change cursor: it grows with every change to a shared value.</summary>
    Task<long> GetCursorAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>Shared values changed or removed after <paramref name="since"/> (all current shared values when null).</summary>
    Task<CredentialChanges> GetChangesAsync(string tenant, long? since, CancellationToken cancellationToken = default);

    /// <summary>Every stored wrapped data key, for re-wrapping under a new key-encryption key.</summary>
    Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default);
}
