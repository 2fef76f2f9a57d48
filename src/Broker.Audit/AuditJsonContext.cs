using System.Text.Json;
using System.Text.Json.Serialization;

namespace Broker.Audit;

/// <summary>The wire shape of audit records and checkpoints (camelCase), source-generated; the JSONL sink and the checkpoint file write with it.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AuditRecord))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(IReadOnlyList<AuditRecord>))]
[JsonSerializable(typeof(AuditCheckpoint))]
public sealed partial class AuditJsonContext : JsonSerializerContext;
