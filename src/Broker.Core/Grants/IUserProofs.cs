namespace Broker.Core.Grants;

/// <summary>
/// Decides whether a request proves the user it names (implemented by Broker.Identity). The use cases that name a
/// user ask it first and pass the answer to <see cref="GrantPolicy.DemandSubject"/>; a capability that names a user
/// never needs to know how users are proven.
/// </summary>
public interface IUserProofs
{
    /// <summary>
    /// Whether <paramref name="proof"/> proves <paramref name="user"/> to <paramref name="caller"/>'s tenant for this
    /// agent. A key with <c>subjects: any</c> needs no proof (<see cref="UserProofResult.Any"/>). Never throws for a
    /// bad proof: it is simply not one.
    /// </summary>
    /// <exception cref="BrokerOperationException">Unavailable: the trusted issuers could not be read.</exception>
    ValueTask<UserProofResult> ProveAsync(Caller caller, string user, UserProof? proof, CancellationToken cancellationToken = default);
}
