namespace Broker.Audit.Tests;

/// <summary>Holds the writer inside AppendAsync until released, so a test knows what is in flight and what is queued.</summary>
internal sealed class GatedAuditStore(InMemoryAuditStore inner) : IAuditStore
{
    private TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _gate;

    public List<int> BatchSizes { get; } = [];

    /// <summary>The next AppendAsync will wait until <see cref="Release"/>.</summary>
    public Task Close()
    {
        _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        return _entered.Task;
    }

    public void Release() => _gate?.TrySetResult();

    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        lock (BatchSizes)
        {
            BatchSizes.Add(records.Count);
        }

        var gate = _gate;
        _entered.TrySetResult();
        if (gate is not null)
        {
            await gate.Task.WaitAsync(cancellationToken);
            _gate = null;
        }

        await inner.AppendAsync(records, cancellationToken);
    }

    public Task<AuditChainHead> GetHeadAsync(string tenant, CancellationToken cancellationToken) => inner.GetHeadAsync(tenant, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> QueryAsync(string tenant, DateTimeOffset? since, string? action, int limit, CancellationToken cancellationToken) =>
        inner.QueryAsync(tenant, since, action, limit, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> ReadChainAsync(string tenant, long afterId, int limit, CancellationToken cancellationToken) =>
        inner.ReadChainAsync(tenant, afterId, limit, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> GetRecentByKeyAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken) =>
        inner.GetRecentByKeyAsync(tenant, keyId, limit, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> FindByValueHmacAsync(string tenant, string valueHmac, int limit, CancellationToken cancellationToken) =>
        inner.FindByValueHmacAsync(tenant, valueHmac, limit, cancellationToken);
}
