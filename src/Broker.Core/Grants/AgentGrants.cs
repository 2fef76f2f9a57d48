namespace Broker.Core.Grants;

/// <summary>
/// What an agent key may do beyond reading the credentials its patterns allow. Deny by default: a key without
/// <see cref="Tokens"/> mints no tokens; without <see cref="Sts"/> it mints STS sessions only with a credential's own
/// role for at most <see cref="StsGrant.DefaultMaxDurationSeconds"/>; it names a user only with proof unless
/// <see cref="Subjects"/> is <see cref="SubjectsGrant.Any"/>.
/// </summary>
public sealed record AgentGrants(TokenGrant? Tokens = null, StsGrant? Sts = null, string Subjects = SubjectsGrant.Proven, ApprovalGrant? Approval = null)
{
    /// <summary>What keys created before grants existed could do, written as explicit <c>*</c> grants.</summary>
    public static AgentGrants Legacy { get; } = new(
        new TokenGrant(["*"], ["*"], TokenGrant.DefaultMaxTtlSeconds), new StsGrant(["*"], 43200), SubjectsGrant.Any);

    /// <summary>No grant at all: what a new agent key has unless the admin says more.</summary>
    public static AgentGrants None { get; } = new();
}
