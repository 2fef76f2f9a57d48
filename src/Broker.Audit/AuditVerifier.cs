namespace Broker.Audit;

/// <summary>
/// Walks a tenant's chain in id order and finds the first record that fails (rules in <see cref="AuditChainCheck"/>).
/// An edited record fails its own hash (or, if the editor re-hashed it, its successor's <c>prevHash</c>); a deleted
/// one leaves a gap; a re-ordered pair fails because the id and the predecessor's hash are inside each hash.
/// A deleted tail or a chain recomputed from some record on is valid on its own: verify against signed checkpoints
/// (<see cref="VerifyAsync(string, IReadOnlyCollection{AuditCheckpoint}, IReadOnlyList{AuditPublicKey}, CancellationToken)"/>) to catch those.
/// </summary>
/// <para>After retention pruned a tenant's chain, the walk starts at its anchor (<see cref="IAuditRetentionStore"/>), by the rules of <see cref="AuditChainCheck"/>.</para>
public sealed class AuditVerifier(IAuditStore store, IAuditRetentionStore? anchors = null)
{
    private const int PageSize = 1_000;

    /// <summary>The chain alone.</summary>
    public Task<AuditVerification> VerifyAsync(string tenant, CancellationToken cancellationToken = default) =>
        WalkAsync(null, [], tenant, cancellationToken);

    /// <summary>The chain, and each checkpoint against it: signed by one of <paramref name="keys"/>, its record still there with its hash.</summary>
    public Task<AuditVerification> VerifyAsync(
        string tenant, IReadOnlyCollection<AuditCheckpoint> checkpoints, IReadOnlyList<AuditPublicKey> keys, CancellationToken cancellationToken = default) =>
        WalkAsync(checkpoints ?? throw new ArgumentNullException(nameof(checkpoints)), keys, tenant, cancellationToken);

    private async Task<AuditVerification> WalkAsync(
        IReadOnlyCollection<AuditCheckpoint>? checkpoints, IReadOnlyList<AuditPublicKey> keys, string tenant, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        var anchor = anchors is null ? null : await anchors.GetAnchorAsync(tenant, cancellationToken).ConfigureAwait(false);
        var check = new AuditChainCheck(tenant, checkpoints, keys ?? throw new ArgumentNullException(nameof(keys)), anchor: anchor);

        // Start below every id, so a row moved to id 0 or below is read (and fails) rather than hidden; after a prune,
        // at the anchor: records at or below it are archived (a prune interrupted mid-way may not have deleted them all).
        var cursor = anchor?.Id ?? long.MinValue;
        while (true)
        {
            var page = await store.ReadChainAsync(tenant, cursor, PageSize, cancellationToken).ConfigureAwait(false);
            foreach (var record in page)
            {
                check.Add(record);
                cursor = record.Id;
            }

            if (page.Count < PageSize)
            {
                return check.Result();
            }
        }
    }
}
