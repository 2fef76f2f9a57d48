using Broker.Credentials;

namespace Broker.Server.Tests;

/// <summary>
/// A narrow seam: the real credential store, into which a test slips another operation just before the next write or
/// delete (a race between the handler's check and the store's transaction), or makes the next write or point read fail.
/// </summary>
public sealed class InterleavingCredentialStore(ICredentialStore inner) : ICredentialStore
{
    private Func<Task>? _beforeNextWrite;
    private Func<Task>? _beforeNextDelete;
    private volatile bool _failNextWrite;
    private int _failNextGet;

    public void BeforeNextWrite(Func<Task> interlude) => _beforeNextWrite = interlude;

    public void BeforeNextDelete(Func<Task> interlude) => _beforeNextDelete = interlude;

    public void FailNextWrite() => _failNextWrite = true;

    public async Task<CredentialWriteResult> WriteAsync(CredentialWrite write, ICredentialValueSealer sealer, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _beforeNextWrite, null) is { } interlude)
        {
            await interlude();
        }

        if (_failNextWrite)
        {
            _failNextWrite = false;
            throw new IOException("credential store offline (test)");
        }

        return await inner.WriteAsync(write, sealer, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string tenant, string name, string? subject, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _beforeNextDelete, null) is { } interlude)
        {
            await interlude();
        }

        return await inner.DeleteAsync(tenant, name, subject, now, cancellationToken);
    }

    public Task<CredentialRecord?> GetAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default) =>
        Interlocked.Exchange(ref _failNextGet, 0) == 1
            ? throw new Broker.Core.BrokerOperationException(Broker.Core.BrokerErrorKind.Unavailable, "The store is unavailable; the operation was not performed.")
            : inner.GetAsync(tenant, name, subject, cancellationToken);

    /// <summary>The next point read fails as a store that went down does (503).</summary>
    public void FailNextGet() => Interlocked.Exchange(ref _failNextGet, 1);

    public Task<IReadOnlyList<CredentialSummary>> ListAsync(string tenant, CancellationToken cancellationToken = default) =>
        inner.ListAsync(tenant, cancellationToken);

    public Task<IReadOnlyList<CredentialVersionInfo>> ListVersionsAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default) =>
        inner.ListVersionsAsync(tenant, name, subject, cancellationToken);

    public Task<long> GetCursorAsync(string tenant, CancellationToken cancellationToken = default) => inner.GetCursorAsync(tenant, cancellationToken);

    public Task<CredentialChanges> GetChangesAsync(string tenant, long? since, CancellationToken cancellationToken = default) =>
        inner.GetChangesAsync(tenant, since, cancellationToken);

    public Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default) =>
        inner.RewrapAllAsync(rewrap, cancellationToken);
}
