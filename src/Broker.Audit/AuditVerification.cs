using System.Text.Json.Serialization;

namespace Broker.Audit;

/// <summary>The answer of <c>GET /v1/audit/verify</c>: <c>{valid, count, brokenAt?}</c>. <see cref="BrokenAt"/> is the id of the first record that fails.</summary>
public sealed record AuditVerification(
    bool Valid,
    long Count,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? BrokenAt);
