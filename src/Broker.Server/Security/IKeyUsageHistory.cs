using Broker.Server.Apis;

namespace Broker.Server.Security;

/// <summary>Where a key was used lately (from the audit trail), for the leaked-key report.</summary>
public interface IKeyUsageHistory
{
    Task<IReadOnlyList<AuditRecordResponse>> GetRecentUseAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken);
}
