using Broker.Keys;

namespace Broker.Server.Tests;

/// <summary>
/// A narrow seam: the real key store, into which a test slips another operation just before the next rotation (a race
/// between the handler's check and the store's transaction), or makes the next insert fail.
/// </summary>
public sealed class InterleavingKeyStore(IKeyStore inner) : IKeyStore
{
    private Func<Task>? _beforeNextRotate;
    private volatile bool _failNextInsert;

    public void BeforeNextRotate(Func<Task> interlude) => _beforeNextRotate = interlude;

    public void FailNextInsert() => _failNextInsert = true;

    public Task InsertAsync(ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken = default)
    {
        if (_failNextInsert)
        {
            _failNextInsert = false;
            throw new IOException("key store offline (test)");
        }

        return inner.InsertAsync(key, secretHash, cancellationToken);
    }

    public async Task<ApiKeyRecord?> RotateAsync(string tenant, string id, byte[] newSecretHash, string newPrefix, DateTimeOffset now, DateTimeOffset? previousSecretsExpireAt, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _beforeNextRotate, null) is { } interlude)
        {
            await interlude();
        }

        return await inner.RotateAsync(tenant, id, newSecretHash, newPrefix, now, previousSecretsExpireAt, cancellationToken);
    }

    public Task<bool> AnyAsync(CancellationToken cancellationToken = default) => inner.AnyAsync(cancellationToken);

    public Task<ApiKeyRecord?> FindBootstrapAsync(byte[] secretHash, CancellationToken cancellationToken = default) =>
        inner.FindBootstrapAsync(secretHash, cancellationToken);

    public Task<IReadOnlyList<string>> RevokeBootstrapKeysBeforeAsync(ApiKeyRecord keep, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        inner.RevokeBootstrapKeysBeforeAsync(keep, now, cancellationToken);

    public Task<KeyHashMatch?> FindByHashAsync(byte[] secretHash, CancellationToken cancellationToken = default) => inner.FindByHashAsync(secretHash, cancellationToken);

    public Task<ApiKeyRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default) => inner.GetAsync(tenant, id, cancellationToken);

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, CancellationToken cancellationToken = default) => inner.ListAsync(tenant, cancellationToken);

    public Task<ApiKeyRecord?> RevokeAsync(string tenant, string id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        inner.RevokeAsync(tenant, id, now, cancellationToken);

    public Task TouchAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken = default) =>
        inner.TouchAsync(lastUsed, cancellationToken);

    public Task<(IReadOnlyList<string> KeyIds, long Sequence)> GetKeyEventsAsync(long sinceSequence, CancellationToken cancellationToken = default) =>
        inner.GetKeyEventsAsync(sinceSequence, cancellationToken);
}
