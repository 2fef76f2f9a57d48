namespace Broker.Audit;

/// <summary>
/// Checks one tenant's chain, fed record by record in id order, against signed checkpoints. Shared by the database
/// verifier (<see cref="AuditVerifier"/>) and the offline one (<see cref="AuditFileVerifier"/>).
/// <para>
/// Record <c>n</c> passes when its id is the expected next one, its <c>prevHash</c> is the previous record's hash
/// (genesis for id 1), its hash re-computes, and its tenant is the one checked. A checkpoint passes when its signature
/// verifies with a known audit key over exactly its fields and the chain holds a record with its id and hash (id 0
/// is the empty chain's head, genesis). Because every hash covers its predecessor's, one passing checkpoint at id
/// <c>k</c> vouches for records 1..k of an otherwise valid chain: a cut tail ends before it, a chain rewritten from
/// any record at or below <c>k</c> has another hash there.
/// </para>
/// <para>
/// With <c>allowAnchor</c> the chain may start after id 1 when its first record follows a passing checkpoint
/// (<c>id = k + 1</c>, <c>prevHash</c> = the checkpoint's hash): a file that begins where an archive or a rotated
/// file ended; checkpoints below that one vouch for records outside what was checked and are skipped. Without it
/// (the database) the chain must start at id 1.
/// </para>
/// <para>
/// With an <c>anchor</c> (the database after retention pruned it, <see cref="IAuditRetentionStore"/>) the chain must
/// start exactly after it: its first record is <c>anchor.id + 1</c> with <c>prevHash</c> = the anchor's hash. The anchor
/// must be signed by a known key (when keys are given: <c>anchor_signature</c>) and named by an <c>audit.prune</c>
/// record of the remaining chain (<c>anchor_unrecorded</c>): the prune is recorded before anything is deleted, so an
/// anchor moved to a later signed checkpoint, with the records up to it cut, no longer matches the record that says
/// where the archive ended.
/// </para>
/// </summary>
public sealed class AuditChainCheck
{
    private readonly string _tenant;
    private readonly bool _allowAnchor;
    private readonly List<AuditCheckpoint> _signed = [];
    private readonly Dictionary<long, string> _wanted = [];
    private readonly int _checkpointCount;
    private readonly bool _checkpointsGiven;
    private string? _reason;
    private AuditChainHead _previous = AuditChainHead.Genesis;
    private bool _first = true;
    private long _count;
    private long? _brokenAt;
    private long _anchorId;
    private string? _anchorHash; // set when the chain starts after a checkpoint
    private readonly AuditCheckpoint? _requiredAnchor;
    private readonly bool _anchorSignatureBad;
    private bool _anchorRecorded;

    public AuditChainCheck(string tenant, IReadOnlyCollection<AuditCheckpoint>? checkpoints, IReadOnlyList<AuditPublicKey> keys, bool allowAnchor = false, AuditCheckpoint? anchor = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(keys);
        _tenant = tenant;
        _allowAnchor = allowAnchor;
        _checkpointsGiven = checkpoints is not null;
        foreach (var checkpoint in checkpoints ?? [])
        {
            _checkpointCount++;
            var problem = !string.Equals(checkpoint.Tenant, tenant, StringComparison.Ordinal) ? "checkpoint_tenant"
                : AuditCheckpointSigner.Check(checkpoint, keys) switch
                {
                    AuditCheckpointCheck.Valid => null,
                    AuditCheckpointCheck.UnknownKey => "checkpoint_unknown_key",
                    _ => "checkpoint_signature",
                };
            if (problem is not null)
            {
                _reason ??= problem;
                continue;
            }

            _signed.Add(checkpoint);
            if (checkpoint.Id > 0)
            {
                _wanted[checkpoint.Id] = "";
            }
        }

        if (anchor is { Id: > 0 })
        {
            _requiredAnchor = anchor;
            _previous = anchor.Head;
            _anchorId = anchor.Id;
            _anchorHash = anchor.Hash;
            _first = false;
            var problem = !string.Equals(anchor.Tenant, tenant, StringComparison.Ordinal) ? "anchor_tenant"
                : keys.Count > 0 && AuditCheckpointSigner.Check(anchor, keys) != AuditCheckpointCheck.Valid ? "anchor_signature"
                : null;
            if (problem is not null)
            {
                _reason ??= problem;
                _anchorSignatureBad = true;
            }
        }
    }

    /// <summary>Whether <paramref name="record"/> is the <c>audit.prune</c> record that set <paramref name="anchor"/>.</summary>
    public static bool NamesAnchor(AuditRecord record, AuditCheckpoint anchor)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(anchor);
        if (record.Action != AuditActions.AuditPrune || record.Reason is not { } reason)
        {
            return false;
        }

        var parts = reason.Split(' ');
        return parts.Contains(FormattableString.Invariant($"anchorId={anchor.Id}"), StringComparer.Ordinal)
            && parts.Contains("anchorHash=" + anchor.Hash, StringComparer.Ordinal);
    }

    /// <summary>The ids whose hashes the checkpoints need (a store may read just those).</summary>
    public IReadOnlyCollection<long> WantedIds => _wanted.Keys;

    public void Add(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _count++;
        if (_first)
        {
            _first = false;
            if (_allowAnchor && record.Id > 1 && _signed.FirstOrDefault(c => c.Id == record.Id - 1 && c.Hash == record.PrevHash) is { } anchor)
            {
                _previous = anchor.Head;
                _anchorId = anchor.Id;
                _anchorHash = anchor.Hash;
            }
        }

        if (_brokenAt is null && !Follows(record))
        {
            _brokenAt = record.Id;
        }

        if (_requiredAnchor is not null && !_anchorRecorded && NamesAnchor(record, _requiredAnchor))
        {
            _anchorRecorded = true;
        }

        if (_wanted.ContainsKey(record.Id))
        {
            _wanted[record.Id] = record.Hash;
        }

        // Continue from what is there, so the count covers the whole chain.
        _previous = record.AsHead;
    }

    public AuditVerification Result()
    {
        var brokenAt = _brokenAt;
        var reason = _reason;
        if (_requiredAnchor is not null && (_anchorSignatureBad || !_anchorRecorded))
        {
            reason ??= "anchor_unrecorded";
            brokenAt = Math.Min(brokenAt ?? long.MaxValue, _requiredAnchor.Id + 1);
        }

        foreach (var checkpoint in _signed.OrderBy(c => c.Id))
        {
            string? problem = null;
            long at = checkpoint.Id;
            if (_anchorHash is not null && checkpoint.Id < _anchorId)
            {
                // Before the anchor: its record is in an earlier file or the archive, not in what was checked.
                continue;
            }

            if (_anchorHash is not null && checkpoint.Id == _anchorId)
            {
                // The first record links to the anchor; another checkpoint at that id with another hash is a fork.
                problem = string.Equals(checkpoint.Hash, _anchorHash, StringComparison.Ordinal) ? null : "checkpoint_mismatch";
            }
            else if (checkpoint.Id <= 0)
            {
                problem = checkpoint.Id == 0 && checkpoint.Hash == AuditChain.GenesisHash ? null : "checkpoint_mismatch";
            }
            else if (_wanted.TryGetValue(checkpoint.Id, out var hash) && hash.Length > 0)
            {
                problem = string.Equals(hash, checkpoint.Hash, StringComparison.Ordinal) ? null : "checkpoint_mismatch";
            }
            else
            {
                problem = "checkpoint_missing";
                at = _previous.Id + 1;
            }

            if (problem is not null)
            {
                reason ??= problem;
                brokenAt = brokenAt is null ? at : Math.Min(brokenAt.Value, at);
            }
        }

        return new AuditVerification(brokenAt is null && reason is null, _count, brokenAt, _checkpointsGiven ? _checkpointCount : null, reason);
    }

    private bool Follows(AuditRecord record) =>
        record.Id == _previous.Id + 1
        && string.Equals(record.Tenant, _tenant, StringComparison.Ordinal)
        && string.Equals(record.PrevHash, _previous.Hash, StringComparison.Ordinal)
        && string.Equals(record.Hash, AuditChain.ComputeHash(record), StringComparison.Ordinal);
}
