namespace Broker.Core;

/// <summary>The authenticated principal behind a request: the key that was presented, never its value. <see cref="Grants"/>: what an agent key may mint and use (null: nothing beyond its credential patterns).</summary>
public sealed record Caller(
    string KeyId,
    string Name,
    Role Role,
    string Tenant,
    bool IsBootstrap,
    IReadOnlyList<string> CredentialPatterns,
    IReadOnlyList<string> AgentPatterns,
    IReadOnlyList<string>? VerifyAsPatterns = null,
    Grants.AgentGrants? Grants = null)
{
    /// <summary>Whether this key's <c>credentials</c> patterns allow the named credential.</summary>
    public bool MayReadCredential(string name) => WildcardPattern.MatchesAny(CredentialPatterns, name);

    /// <summary>
    /// Whether this agent key may verify inbound keys on behalf of the named agent: its own name always, any other
    /// name only when its <c>verifyAs</c> patterns match it (absent patterns allow nothing more).
    /// </summary>
    public bool MayVerifyAs(string agentName) =>
        string.Equals(agentName, Name, StringComparison.Ordinal) || WildcardPattern.MatchesAny(VerifyAsPatterns ?? [], agentName);

    /// <summary>
    /// The user this request proved it acts for (set by the use case from <see cref="Grants.IUserProofs"/>, for this
    /// request only; never stored or cached with the key).
    /// </summary>
    public string? ProvenUser { get; init; }

    /// <summary>
    /// The id of the human approval this request carries, already consumed for exactly this request (set by the use
    /// case, for this request only): what the key's <c>approval</c> grant names may then be carried out.
    /// </summary>
    public string? ApprovalId { get; init; }

    /// <summary>Whether this request proved it acts for <paramref name="user"/>.</summary>
    public bool HasProven(string? user) => user is not null && ProvenUser is not null && string.Equals(ProvenUser, user, StringComparison.Ordinal);
}
