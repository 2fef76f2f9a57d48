namespace Broker.Core.Grants;

/// <summary>
/// Whether the user a request names is proven, and how, as the audit record says it: <see cref="Method"/>
/// <c>assertion</c> (with the trusted issuer's name), <c>caller_key</c> (with the key's id), <c>any</c> (the key may
/// name any user), or <c>none</c>.
/// </summary>
public sealed record UserProofResult(bool Proven, string Method, string? Issuer = null, string? KeyId = null)
{
    public const string ByAssertion = "assertion";
    public const string ByCallerKey = "caller_key";
    public const string ByAnyGrant = "any";
    public const string Unproven = "none";

    public static UserProofResult None { get; } = new(false, Unproven);

    public static UserProofResult Any { get; } = new(true, ByAnyGrant);

    /// <summary>The audit text: <c>proof=assertion issuer=corp</c>, <c>proof=caller_key key=k_1</c>, <c>proof=any</c>, <c>proof=none</c>.</summary>
    public string AuditText => Method switch
    {
        ByAssertion => $"proof={Method} issuer={Issuer}",
        ByCallerKey => $"proof={Method} key={KeyId}",
        _ => $"proof={Method}",
    };
}
