namespace Broker.Core;

/// <summary>The authenticated principal behind a request: the key that was presented, never its value.</summary>
public sealed record Caller(
    string KeyId,
    string Name,
    Role Role,
    string Tenant,
    bool IsBootstrap,
    IReadOnlyList<string> CredentialPatterns,
    IReadOnlyList<string> AgentPatterns)
{
    /// <summary>Whether this key's <c>credentials</c> patterns allow the named credential.</summary>
    public bool MayReadCredential(string name) => WildcardPattern.MatchesAny(CredentialPatterns, name);
}
