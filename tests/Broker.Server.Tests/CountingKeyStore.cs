using Broker.Keys;

namespace Broker.Server.Tests;

/// <summary>The real key store, counting authentication lookups (the one store read a presented key can cause).</summary>
public sealed class CountingKeyStore(IKeyStore inner) : IKeyStore
{
    private int _lookups;

    public int Lookups => Volatile.Read(ref _lookups);

    public Task<KeyHashMatch?> FindByHashAsync(byte[] secretHash, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lookups);
        return inner.FindByHashAsync(secretHash, cancellationToken);
    }

    public Task<bool> AnyAsync(CancellationToken cancellationToken = default) => inner.AnyAsync(cancellationToken);

    public Task<ApiKeyRecord?> FindBootstrapAsync(byte[] secretHash, CancellationToken cancellationToken = default) =>
        inner.FindBootstrapAsync(secretHash, cancellationToken);

    public Task<IReadOnlyList<string>> RevokeBootstrapKeysBeforeAsync(ApiKeyRecord keep, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        inner.RevokeBootstrapKeysBeforeAsync(keep, now, cancellationToken);

    public Task InsertAsync(ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken = default) => inner.InsertAsync(key, secretHash, cancellationToken);

    public Task<ApiKeyRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default) => inner.GetAsync(tenant, id, cancellationToken);

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, CancellationToken cancellationToken = default) => inner.ListAsync(tenant, cancellationToken);

    public Task<ApiKeyRecord?> RevokeAsync(string tenant, string id, DateTimeOffset now, CancellationToken cancellationToken = default) => inner.RevokeAsync(tenant, id, now, cancellationToken);

    public Task<ApiKeyRecord?> RotateAsync(string tenant, string id, byte[] newSecretHash, string newPrefix, DateTimeOffset now, DateTimeOffset? previousSecretsExpireAt, CancellationToken cancellationToken = default) =>
        inner.RotateAsync(tenant, id, newSecretHash, newPrefix, now, previousSecretsExpireAt, cancellationToken);

    public Task TouchAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken = default) => inner.TouchAsync(lastUsed, cancellationToken);

    public Task<(IReadOnlyList<string> KeyIds, long Sequence)> GetKeyEventsAsync(long sinceSequence, CancellationToken cancellationToken = default) => inner.GetKeyEventsAsync(sinceSequence, cancellationToken);
}
