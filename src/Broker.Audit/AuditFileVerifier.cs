using System.Text;

namespace Broker.Audit;

/// <summary>
/// Verifies an exported trail without the broker: JSON Lines files of records (the JSONL sink's files, oldest first,
/// or any export in the same format) and checkpoint files, against the audit keys of a JWKS
/// (<c>/.well-known/audit-keys.json</c>, saved beforehand). Checkpoint lines are read from every file given; each
/// tenant's records must appear in id order (as the sink writes them). Each tenant's chain is checked by the rules of
/// <see cref="AuditChainCheck"/>, with anchoring: a file that begins after id 1 is accepted when its first record
/// follows a checkpoint in the inputs (a rotated-away file or an archive ended there); otherwise it fails at its first id.
/// </summary>
public static class AuditFileVerifier
{
    /// <param name="recordFiles">JSONL files of records (and possibly checkpoints), oldest first.</param>
    /// <param name="checkpointFiles">Checkpoint files (lines of checkpoints only).</param>
    /// <param name="jwks">The JWKS JSON of the audit keys.</param>
    /// <exception cref="FormatException"><paramref name="jwks"/> is not a JWKS.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static AuditFileVerification Verify(IReadOnlyList<string> recordFiles, IReadOnlyList<string> checkpointFiles, string jwks)
    {
        ArgumentNullException.ThrowIfNull(recordFiles);
        ArgumentNullException.ThrowIfNull(checkpointFiles);
        ArgumentNullException.ThrowIfNull(jwks);
        var keys = AuditPublicKey.ParseJwks(jwks);

        // First pass: every checkpoint, so each tenant's check knows its anchors and the ids it must see.
        var checkpoints = new List<AuditCheckpoint>();
        var malformed = 0;
        foreach (var path in recordFiles.Concat(checkpointFiles))
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException("An audit file to verify does not exist.", path);
            }

            var (found, bad) = AuditCheckpointFile.Read(path);
            checkpoints.AddRange(found);
            malformed += bad;
        }

        // The same checkpoint is usually both in the JSONL copy and in the checkpoint file.
        checkpoints = checkpoints.Distinct().ToList();
        var byTenant = checkpoints.GroupBy(c => c.Tenant, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyCollection<AuditCheckpoint>)g.ToArray(), StringComparer.Ordinal);
        var checks = new Dictionary<string, AuditChainCheck>(StringComparer.Ordinal);
        AuditChainCheck CheckFor(string tenant)
        {
            if (!checks.TryGetValue(tenant, out var check))
            {
                check = new AuditChainCheck(tenant, byTenant.GetValueOrDefault(tenant, []), keys, allowAnchor: true);
                checks[tenant] = check;
            }

            return check;
        }

        // Second pass: stream the records, one tenant's chain at a time in file order.
        long records = 0;
        foreach (var path in recordFiles)
        {
            foreach (var line in File.ReadLines(path, Encoding.UTF8))
            {
                if (!string.IsNullOrWhiteSpace(line) && AuditJsonl.Parse(line) is AuditRecord record)
                {
                    records++;
                    CheckFor(record.Tenant).Add(record);
                }
            }
        }

        foreach (var tenant in byTenant.Keys)
        {
            CheckFor(tenant);
        }

        var results = checks.ToDictionary(c => c.Key, c => c.Value.Result(), StringComparer.Ordinal);
        return new AuditFileVerification(malformed == 0 && results.Values.All(r => r.Valid), results, records, checkpoints.Count, malformed);
    }
}
