namespace Broker.Audit;

/// <summary>
/// Walks a tenant's chain in id order and finds the first record that fails. Record <c>n</c> passes when its id
/// is the expected next one (1 for the first; a gap means a deleted predecessor), its <c>prevHash</c> equals the
/// previous record's hash (genesis for the first), and its hash re-computes from its fields. An edited record fails
/// its own hash (or, if the editor re-hashed it, its successor's <c>prevHash</c>); a deleted one leaves a gap; a
/// re-ordered pair fails because the id and the predecessor's hash are inside each hash.
/// A deleted tail (the newest records) leaves a shorter valid chain: compare with an external copy (the JSONL
/// sink) or a head published elsewhere to catch it.
/// </summary>
public sealed class AuditVerifier(IAuditStore store)
{
    private const int PageSize = 1_000;

    public async Task<AuditVerification> VerifyAsync(string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        var previous = AuditChainHead.Genesis;
        // Start below every id, so a row moved to id 0 or below is read (and fails) rather than hidden.
        var cursor = long.MinValue;
        long count = 0;
        long? brokenAt = null;
        while (true)
        {
            var page = await store.ReadChainAsync(tenant, cursor, PageSize, cancellationToken).ConfigureAwait(false);
            foreach (var record in page)
            {
                count++;
                if (brokenAt is null && !Follows(record, previous, tenant))
                {
                    brokenAt = record.Id;
                }

                // Continue from what is there, so the count covers the whole stored chain.
                previous = record.AsHead;
                cursor = record.Id;
            }

            if (page.Count < PageSize)
            {
                return new AuditVerification(brokenAt is null, count, brokenAt);
            }
        }
    }

    private static bool Follows(AuditRecord record, AuditChainHead previous, string tenant) =>
        record.Id == previous.Id + 1
        && string.Equals(record.Tenant, tenant, StringComparison.Ordinal)
        && string.Equals(record.PrevHash, previous.Hash, StringComparison.Ordinal)
        && string.Equals(record.Hash, AuditChain.ComputeHash(record), StringComparison.Ordinal);
}
