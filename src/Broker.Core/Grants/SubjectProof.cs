namespace Broker.Core.Grants;

/// <summary>How a use case that names a user asks for its proof before <see cref="GrantPolicy.DemandSubject"/>.</summary>
public static class SubjectProof
{
    /// <summary>
    /// Whether <paramref name="proof"/> proves <paramref name="user"/> (asked only when a user is named): the caller
    /// for this request (marked with the proven user, see <see cref="Caller.HasProven"/>) and how it was proven, for the
    /// record. Without <paramref name="proofs"/> (no identity capability), only the <c>subjects: any</c> grant names users.
    /// </summary>
    /// <exception cref="BrokerOperationException">Unavailable: the trusted issuers could not be read.</exception>
    public static async ValueTask<(Caller Caller, UserProofResult? Proven)> ProveAsync(
        IUserProofs? proofs, Caller caller, string? user, UserProof? proof, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (string.IsNullOrEmpty(user))
        {
            return (caller, null);
        }

        var proven = proofs is null
            ? caller.Grants?.Subjects == SubjectsGrant.Any ? UserProofResult.Any : UserProofResult.None
            : await proofs.ProveAsync(caller, user, proof, cancellationToken).ConfigureAwait(false);
        return (proven.Proven && proven.Method != UserProofResult.ByAnyGrant ? caller with { ProvenUser = user } : caller, proven);
    }
}
