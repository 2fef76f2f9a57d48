using System.Text.Json;

namespace Broker.Cli.Verification;

/// <summary>A signed chain head kept apart from the trail (<c>{tenant, id, hash, time, kid, signature}</c>): the file must still hold that record.</summary>
internal sealed record AuditCheckpoint(string Tenant, long Id, string Hash)
{
    /// <summary>Reads checkpoints from JSON Lines or from one JSON array.</summary>
    /// <exception cref="FormatException">Not checkpoints.</exception>
    public static IReadOnlyList<AuditCheckpoint> ReadAll(string text)
    {
        var trimmed = text.TrimStart();
        try
        {
            if (trimmed.StartsWith('['))
            {
                using var doc = JsonDocument.Parse(trimmed);
                return doc.RootElement.EnumerateArray().Select(From).ToList();
            }

            var list = new List<AuditCheckpoint>();
            foreach (var line in text.Split('\n'))
            {
                if (line.Trim().Length > 0)
                {
                    using var doc = JsonDocument.Parse(line);
                    list.Add(From(doc.RootElement));
                }
            }

            return list;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new FormatException("The checkpoints file is not JSON Lines (or a JSON array) of {tenant, id, hash, …} objects.");
        }
    }

    /// <summary>Whether a JSONL line is a checkpoint (a signed head the broker appends to its sink) rather than a record.</summary>
    public static bool IsCheckpoint(JsonElement element) =>
        element.TryGetProperty("signature", out _) && !element.TryGetProperty("prevHash", out _);

    public static AuditCheckpoint From(JsonElement element) =>
        new(element.GetProperty("tenant").GetString()!, element.GetProperty("id").GetInt64(), element.GetProperty("hash").GetString()!);
}
