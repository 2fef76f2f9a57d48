namespace Broker.Identity;

/// <summary>Where workload profiles are kept (one per tenant and name), and which keys each one issued.</summary>
public interface IWorkloadProfileStore
{
    /// <summary>The tenant's profiles, by name.</summary>
    Task<IReadOnlyList<WorkloadProfile>> ListAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>The tenant's profile of that name, or null.</summary>
    Task<WorkloadProfile?> GetAsync(string tenant, string name, CancellationToken cancellationToken = default);

    /// <summary>The profiles of that name in every tenant (a login names a profile, not a tenant).</summary>
    Task<IReadOnlyList<WorkloadProfile>> FindAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Adds a profile; false when the tenant already has one of that name (nothing changed).</summary>
    Task<bool> InsertAsync(WorkloadProfile profile, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes a profile and answers the ids of the keys it issued that have not expired at <paramref name="now"/>, for
    /// the caller to revoke; null when the tenant has no profile of that name. Serialised with <see cref="AddKeyAsync"/>
    /// of the same profile, so no key is issued for it after this answers.
    /// </summary>
    Task<IReadOnlyList<string>?> DeleteAsync(string tenant, string name, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the tenant's profile of <paramref name="profile"/>'s name with it (a new id) and answers the ids of the
    /// keys the old one issued that have not expired at <paramref name="now"/>, for the caller to revoke; null when the
    /// tenant has no profile of that name (nothing changed). Serialised with <see cref="AddKeyAsync"/> of the old
    /// profile, so no key is issued under the old fields after this answers.
    /// </summary>
    Task<IReadOnlyList<string>?> ReplaceAsync(WorkloadProfile profile, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Records that the profile issued a key; false (nothing recorded) when the profile no longer exists.</summary>
    Task<bool> AddKeyAsync(string profileId, string keyId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Deletes the keys issued by any profile that expired before <paramref name="expiredBefore"/> (their key rows too).</summary>
    /// <returns>How many keys were deleted.</returns>
    Task<int> PruneAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default);
}
