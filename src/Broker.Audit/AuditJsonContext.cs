using System.Text.Json;
using System.Text.Json.Serialization;

namespace Broker.Audit;

/// <summary>The wire shape of audit records (camelCase), source-generated; the JSONL sink writes with it.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AuditRecord))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(IReadOnlyList<AuditRecord>))]
public sealed partial class AuditJsonContext : JsonSerializerContext;
