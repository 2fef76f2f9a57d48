using Broker.Core;

namespace Broker.Audit;

/// <summary>
/// Verifying the trail, as use cases that record themselves (<c>audit.verify</c>): the answer leaves only once the
/// question is durable in the trail, with what it found (valid, count, where it broke), never a hash chosen by the caller.
/// </summary>
public sealed class AuditChecks(AuditProof proof, AuditTrail audit)
{
    public const string ChainTarget = "chain";
    public const string CheckpointsTarget = "checkpoints";
    public const int MaxCheckpoints = 100;

    /// <summary>The caller's chain against the broker's own latest checkpoints (file and database).</summary>
    public async Task<AuditVerification> VerifyKnownAsync(AuditContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = await proof.VerifyKnownAsync(context.RequireCaller().Tenant, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(context, AuditActions.AuditVerify, ChainTarget, AuditOutcomes.Allowed, ReasonOf(result)).ConfigureAwait(false);
        return result;
    }

    /// <summary>The caller's chain against checkpoints kept elsewhere: a cut tail or a rewritten chain makes it invalid.</summary>
    /// <exception cref="ValidationException">No checkpoints, or too many (recorded).</exception>
    public async Task<AuditVerification> VerifyAsync(AuditContext context, IReadOnlyList<AuditCheckpoint>? checkpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        AuditVerification result;
        try
        {
            result = await proof.VerifyAsync(
                context.RequireCaller().Tenant, checkpoints ?? throw new ValidationException("checkpoints", "\"checkpoints\" is required."), cancellationToken).ConfigureAwait(false);
        }
        catch (ValidationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.AuditVerify, CheckpointsTarget, ex).ConfigureAwait(false);
            throw;
        }

        await audit.RecordAsync(context, AuditActions.AuditVerify, CheckpointsTarget, AuditOutcomes.Allowed, ReasonOf(result)).ConfigureAwait(false);
        return result;
    }

    private static string ReasonOf(AuditVerification result) =>
        new AuditReason().Add("valid", result.Valid).Add("count", result.Count).Add("checkpoints", result.Checkpoints)
            .Add("brokenAt", result.BrokenAt).Add("problem", result.Reason).ToString();
}
