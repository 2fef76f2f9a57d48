using Broker.Server.Apis;
using Broker.Server.Security;

namespace Broker.Server.Hosting;

/// <summary>Placeholder until the audit store is wired in.</summary>
internal sealed class NullKeyUsageHistory : IKeyUsageHistory
{
    public Task<IReadOnlyList<AuditRecordResponse>> GetRecentUseAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<AuditRecordResponse>>([]);
}
