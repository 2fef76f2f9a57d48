namespace Broker.Credentials;

/// <summary>
/// The sources of sourced credentials and their sync state. Deleting a credential's shared value deletes its source
/// (<see cref="ICredentialStore.DeleteAsync"/>, in the same transaction).
/// </summary>
public interface ICredentialSourceStore
{
    Task<CredentialSource?> GetAsync(string tenant, string name, CancellationToken cancellationToken = default);

    /// <summary>Every tenant's sources, for the sync loop.</summary>
    Task<IReadOnlyList<CredentialSource>> ListAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces a source with its sync state.</summary>
    Task SetAsync(CredentialSource source, CancellationToken cancellationToken = default);

    /// <summary>Records how a sync went; a source deleted meanwhile stays deleted.</summary>
    Task RecordSyncAsync(string tenant, string name, string status, DateTimeOffset at, string? error, CancellationToken cancellationToken = default);
}
