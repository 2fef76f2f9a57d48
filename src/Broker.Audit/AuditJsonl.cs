using System.Text.Json;

namespace Broker.Audit;

/// <summary>
/// Reads one line of the JSONL formats (docs/audit.md): an object with <c>"type":"checkpoint"</c> is an
/// <see cref="AuditCheckpoint"/>, an object without <c>type</c> an <see cref="AuditRecord"/>.
/// </summary>
public static class AuditJsonl
{
    /// <returns>An <see cref="AuditRecord"/>, an <see cref="AuditCheckpoint"/>, or null for a line that is neither.</returns>
    public static object? Parse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("type", out var type))
            {
                if (type.ValueKind != JsonValueKind.String || type.GetString() != AuditCheckpoint.LineType)
                {
                    return null;
                }

                var checkpoint = root.Deserialize(AuditJsonContext.Default.AuditCheckpoint);
                return checkpoint is { Tenant: not null, Hash: not null, Kid: not null, Signature: not null } ? checkpoint : null;
            }

            var record = root.Deserialize(AuditJsonContext.Default.AuditRecord);
            return record is { Tenant: not null, Actor: not null, Action: not null, Target: not null, Outcome: not null, RequestId: not null, PrevHash: not null, Hash: not null }
                ? record
                : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
