using Broker.Audit;

namespace Broker.Server.Tests;

/// <summary>A narrow seam: the real audit store, made to fail on demand.</summary>
public sealed class SwitchableAuditStore(IAuditStore inner) : IAuditStore
{
    public volatile bool Fail;

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken) =>
        Fail ? throw new IOException("audit store offline (test)") : inner.AppendAsync(records, cancellationToken);

    public Task<AuditChainHead> GetHeadAsync(string tenant, CancellationToken cancellationToken) =>
        Fail ? throw new IOException("audit store offline (test)") : inner.GetHeadAsync(tenant, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> QueryAsync(string tenant, DateTimeOffset? since, string? action, int limit, CancellationToken cancellationToken) =>
        inner.QueryAsync(tenant, since, action, limit, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> ReadChainAsync(string tenant, long afterId, int limit, CancellationToken cancellationToken) =>
        inner.ReadChainAsync(tenant, afterId, limit, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> GetRecentByKeyAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken) =>
        inner.GetRecentByKeyAsync(tenant, keyId, limit, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> FindByValueHmacAsync(string tenant, string valueHmac, int limit, CancellationToken cancellationToken) =>
        inner.FindByValueHmacAsync(tenant, valueHmac, limit, cancellationToken);
}
