using System.Text.Json;

namespace Broker.Cli.Verification;

/// <summary>
/// Verifies an audit JSONL file offline, per tenant, by the rules of docs/audit.md "Verification": ids follow one
/// another, each <c>prevHash</c> is the previous record's <c>hash</c> (the genesis value before id 1), and each
/// <c>hash</c> recomputes from the record's fields. A file that starts after id 1 (rotated sinks) takes its first
/// link as given. Checkpoints (from <c>--checkpoints</c>, or signed heads the broker appended to the file) catch what
/// a chain alone cannot: a cut tail or a rewritten chain.
/// </summary>
internal static class AuditFileVerifier
{
    public static async Task<AuditFileReport> VerifyAsync(TextReader reader, IReadOnlyList<AuditCheckpoint> checkpoints, string? onlyTenant, CancellationToken cancellationToken)
    {
        var chains = new Dictionary<string, Chain>(StringComparer.Ordinal);
        var allCheckpoints = new List<AuditCheckpoint>(checkpoints);
        long records = 0;
        var lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            Parsed parsed;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (AuditCheckpoint.IsCheckpoint(doc.RootElement))
                {
                    allCheckpoints.Add(AuditCheckpoint.From(doc.RootElement));
                    continue;
                }

                parsed = Parse(doc.RootElement);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                // A line that is not a record cannot be attributed to a tenant: the whole file fails at it.
                throw new FormatException($"Line {lineNumber} is not an audit record.");
            }

            if (onlyTenant is not null && parsed.Tenant != onlyTenant)
            {
                continue;
            }

            records++;
            if (!chains.TryGetValue(parsed.Tenant, out var chain))
            {
                chains[parsed.Tenant] = chain = new Chain(parsed.Tenant);
            }

            chain.Add(parsed);
        }

        var checkpointReports = allCheckpoints
            .Where(c => onlyTenant is null || c.Tenant == onlyTenant)
            .Select(c => Check(c, chains.GetValueOrDefault(c.Tenant)))
            .ToList();
        var tenants = chains.Values.OrderBy(c => c.Tenant, StringComparer.Ordinal).Select(c => c.Report()).ToList();
        var valid = tenants.All(t => t.Valid) && checkpointReports.All(c => c.Status is "held" or "not_covered");
        return new AuditFileReport(valid, records, tenants, checkpointReports);
    }

    private static CheckpointReport Check(AuditCheckpoint checkpoint, Chain? chain)
    {
        if (chain is null || chain.Count == 0)
        {
            return new(checkpoint.Tenant, checkpoint.Id, "cut", false, "the file has no record of this tenant");
        }

        if (checkpoint.Id < chain.FirstId)
        {
            return new(checkpoint.Tenant, checkpoint.Id, "not_covered", false, $"older than the file's first record ({chain.FirstId})");
        }

        if (!chain.Hashes.TryGetValue(checkpoint.Id, out var hash))
        {
            return new(checkpoint.Tenant, checkpoint.Id, "cut", false, $"the file ends at record {chain.LastId}: records were cut off");
        }

        return string.Equals(hash, checkpoint.Hash, StringComparison.Ordinal)
            ? new(checkpoint.Tenant, checkpoint.Id, "held", true, null)
            : new(checkpoint.Tenant, checkpoint.Id, "mismatch", false, "the record's hash differs: the chain was rewritten");
    }

    private static Parsed Parse(JsonElement e)
    {
        var actor = e.TryGetProperty("actor", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
        string? Actor(string name) => actor.ValueKind == JsonValueKind.Object ? Text(actor, name) : null;
        string?[] fields =
        [
            Text(e, "time"), Text(e, "tenant"), Actor("keyId"), Actor("name"), Actor("role"), Text(e, "action"), Text(e, "target"),
            Text(e, "outcome"), Text(e, "reason"), Text(e, "requestId"), Text(e, "clientAddress"), Text(e, "userAgent"), Text(e, "valueHmac"),
            Text(e, "prevHash"),
        ];
        return new Parsed(e.GetProperty("id").GetInt64(), fields[1] ?? throw new FormatException("no tenant"), fields[^1], Text(e, "hash"), fields);
    }

    /// <summary>A string field as written; absent or null are both null (the sink omits null optional fields).</summary>
    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetString() : null;

    private sealed record Parsed(long Id, string Tenant, string? PrevHash, string? Hash, string?[] Fields);

    private sealed class Chain(string tenant)
    {
        private (long Id, string? Hash)? _last;

        public string Tenant { get; } = tenant;

        public long Count { get; private set; }

        public long? FirstId { get; private set; }

        public long? LastId => _last?.Id;

        public long? BrokenAt { get; private set; }

        public string? Problem { get; private set; }

        public Dictionary<long, string?> Hashes { get; } = [];

        public void Add(Parsed record)
        {
            Count++;
            FirstId ??= record.Id;
            Hashes.TryAdd(record.Id, record.Hash);
            if (BrokenAt is null)
            {
                Problem = Check(record);
                if (Problem is not null)
                {
                    BrokenAt = record.Id;
                }
            }

            _last = (record.Id, record.Hash);
        }

        public AuditChainReport Report() => new(Tenant, BrokenAt is null, Count, FirstId, LastId, BrokenAt, Problem);

        private string? Check(Parsed record)
        {
            if (_last is { } last)
            {
                if (record.Id != last.Id + 1)
                {
                    return record.Id <= last.Id ? $"out of order (after record {last.Id})" : $"records {last.Id + 1}..{record.Id - 1} are missing (deleted)";
                }

                if (!string.Equals(record.PrevHash, last.Hash, StringComparison.Ordinal))
                {
                    return $"its prevHash is not record {last.Id}'s hash (a predecessor was edited or replaced)";
                }
            }
            else if (record.Id < 1)
            {
                return "ids start at 1";
            }
            else if (record.Id == 1 && record.PrevHash != AuditRecordHash.Genesis)
            {
                return "the first record's prevHash is not the genesis value";
            }

            var expected = AuditRecordHash.Compute(record.Id, record.Fields);
            return string.Equals(expected, record.Hash, StringComparison.Ordinal) ? null : "its hash does not match its fields (the record was edited)";
        }
    }
}
