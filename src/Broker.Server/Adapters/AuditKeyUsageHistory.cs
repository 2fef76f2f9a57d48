using Broker.Audit;
using Broker.Server.Hosting;
using Broker.Server.Security;

namespace Broker.Server.Adapters;

/// <summary>The leaked-key report's recent use, from the audit trail.</summary>
public sealed class AuditKeyUsageHistory(AuditQueries queries) : IKeyUsageHistory
{
    public Task<IReadOnlyList<AuditRecord>> GetRecentUseAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken) =>
        queries.RecentByKeyAsync(tenant, keyId, limit, cancellationToken);
}
