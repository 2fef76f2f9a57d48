using Broker.Audit;

namespace Broker.Keys;

/// <summary>What a responder learns when a leaked value is revoked: which key it was, and where it was used lately.</summary>
public sealed record LeakedKeyReport(ApiKeyRecord Key, IReadOnlyList<AuditRecord> RecentUse);
