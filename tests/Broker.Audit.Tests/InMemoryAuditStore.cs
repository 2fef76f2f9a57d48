using Broker.Audit;

namespace Broker.Audit.Tests;

/// <summary>A store in memory with the same guarantees the SQLite one gives: atomic batches, (tenant, id) unique and gap-free.</summary>
internal sealed class InMemoryAuditStore : IAuditStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<AuditRecord>> _chains = new(StringComparer.Ordinal);

    public int AppendCalls { get; private set; }

    public IReadOnlyList<AuditRecord> All(string tenant)
    {
        lock (_lock)
        {
            return _chains.TryGetValue(tenant, out var chain) ? chain.ToList() : [];
        }
    }

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            AppendCalls++;
            var heads = new Dictionary<string, AuditChainHead>(StringComparer.Ordinal);
            foreach (var record in records)
            {
                if (!heads.TryGetValue(record.Tenant, out var head))
                {
                    head = HeadOf(record.Tenant);
                }

                if (record.Id != head.Id + 1)
                {
                    throw new InvalidOperationException($"Duplicate or out-of-sequence id {record.Id} for tenant {record.Tenant}.");
                }

                heads[record.Tenant] = record.AsHead;
            }

            foreach (var record in records)
            {
                if (!_chains.TryGetValue(record.Tenant, out var chain))
                {
                    _chains[record.Tenant] = chain = [];
                }

                chain.Add(record);
            }
        }

        return Task.CompletedTask;
    }

    public Task<AuditChainHead> GetHeadAsync(string tenant, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(HeadOf(tenant));
        }
    }

    public Task<IReadOnlyList<AuditRecord>> QueryAsync(string tenant, DateTimeOffset? since, string? action, int limit, CancellationToken cancellationToken) =>
        Select(tenant, r => (since is null || r.Time >= since) && (action is null || r.Action == action), limit, newestFirst: false);

    public Task<IReadOnlyList<AuditRecord>> ReadChainAsync(string tenant, long afterId, int limit, CancellationToken cancellationToken) =>
        Select(tenant, r => r.Id > afterId, limit, newestFirst: false);

    public Task<IReadOnlyList<AuditRecord>> GetRecentByKeyAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken) =>
        Select(tenant, r => r.Actor.KeyId == keyId, limit, newestFirst: true);

    public Task<IReadOnlyList<AuditRecord>> FindByValueHmacAsync(string tenant, string valueHmac, int limit, CancellationToken cancellationToken) =>
        Select(tenant, r => r.ValueHmac == valueHmac, limit, newestFirst: true);

    private AuditChainHead HeadOf(string tenant) =>
        _chains.TryGetValue(tenant, out var chain) && chain.Count > 0 ? chain[^1].AsHead : AuditChainHead.Genesis;

    private Task<IReadOnlyList<AuditRecord>> Select(string tenant, Func<AuditRecord, bool> predicate, int limit, bool newestFirst)
    {
        var all = All(tenant).Where(predicate);
        if (newestFirst)
        {
            all = all.Reverse();
        }

        return Task.FromResult<IReadOnlyList<AuditRecord>>(all.Take(limit).ToList());
    }
}
