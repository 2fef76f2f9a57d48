using Broker.Core;

namespace Broker.Audit;

/// <summary>
/// What the provable-audit routes call: the signed head (<c>GET /v1/audit/head</c>), the audit keys' JWKS, and
/// verification of a tenant's chain against checkpoints, given (<c>POST /v1/audit/verify</c>) or the broker's own
/// (<c>GET /v1/audit/verify</c>: the latest in the checkpoint file and the latest in the database).
/// </summary>
public sealed class AuditProof(IAuditStore store, IAuditCheckpointStore checkpoints, AuditKeyManager keys, AuditVerifier verifier, AuditCheckpointFile? file = null)
{
    /// <summary>At most this many checkpoints in one <c>POST /v1/audit/verify</c> (about 40 KiB, within the 64 KiB body limit).</summary>
    public const int MaxCheckpoints = 100;

    /// <summary>The tenant's chain head as the store has it now, signed.</summary>
    public async Task<AuditCheckpoint> SignHeadAsync(string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        var head = await store.GetHeadAsync(tenant, cancellationToken).ConfigureAwait(false);
        return await keys.SignAsync(tenant, head, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>{"keys":[...]}</c>: every audit public key, retired ones included.</summary>
    public async Task<string> GetJwksAsync(CancellationToken cancellationToken = default) =>
        AuditPublicKey.ToJwks(await keys.GetPublicKeysAsync(false, cancellationToken).ConfigureAwait(false));

    /// <summary>The chain and <paramref name="given"/> checkpoints of the tenant.</summary>
    /// <exception cref="ValidationException">More than <see cref="MaxCheckpoints"/> checkpoints, or a malformed one.</exception>
    public async Task<AuditVerification> VerifyAsync(string tenant, IReadOnlyList<AuditCheckpoint> given, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(given);
        if (given.Count > MaxCheckpoints)
        {
            throw new ValidationException("checkpoints", $"At most {MaxCheckpoints} checkpoints.");
        }

        if (given.Any(c => c is null || string.IsNullOrEmpty(c.Tenant) || string.IsNullOrEmpty(c.Hash) || string.IsNullOrEmpty(c.Kid) || string.IsNullOrEmpty(c.Signature)))
        {
            throw new ValidationException("checkpoints", "Each checkpoint is {tenant, id, hash, time, kid, signature} as GET /v1/audit/head returns it.");
        }

        var known = await keys.GetPublicKeysAsync(false, cancellationToken).ConfigureAwait(false);
        if (given.Any(c => !known.Any(k => k.Kid == c.Kid)))
        {
            // Another replica may have created a key this one has not loaded yet.
            known = await keys.GetPublicKeysAsync(true, cancellationToken).ConfigureAwait(false);
        }

        return await verifier.VerifyAsync(tenant, given, known, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The chain and the broker's own latest checkpoints of the tenant (the checkpoint file's and the database's).</summary>
    public async Task<AuditVerification> VerifyKnownAsync(string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        var own = new List<AuditCheckpoint>(2);
        if (file?.LatestFor(tenant) is { } fromFile)
        {
            own.Add(fromFile);
        }

        if (await checkpoints.GetLatestCheckpointAsync(tenant, cancellationToken).ConfigureAwait(false) is { } fromStore)
        {
            own.Add(fromStore);
        }

        return await VerifyAsync(tenant, own, cancellationToken).ConfigureAwait(false);
    }
}
