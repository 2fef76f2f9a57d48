using Broker.Audit;

namespace Broker.Server.Security;

/// <summary>Where a key was used lately (from the audit trail), for the leaked-key report.</summary>
public interface IKeyUsageHistory
{
    Task<IReadOnlyList<AuditRecord>> GetRecentUseAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken);
}
