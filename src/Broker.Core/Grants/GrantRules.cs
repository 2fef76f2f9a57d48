namespace Broker.Core.Grants;

/// <summary>
/// The rules an agent's request is held to, one name each: the name is the problem's <c>detail</c> prefix and the
/// audit record's reason, so a responder reads from the trail exactly which rule refused.
/// </summary>
public static class GrantRules
{
    public const string CredentialPattern = "credential_pattern";
    public const string AgentAccess = "agent_access";
    public const string TokenGrant = "token_grant";
    public const string TokenAudience = "token_audience";
    public const string TokenScope = "token_scope";
    public const string TokenTtl = "token_ttl";
    public const string StsRole = "sts_role";
    public const string StsDuration = "sts_duration";
    public const string SubjectUnproven = "subject_unproven";
    public const string ApprovalRequired = "approval_required";

    /// <summary>A refusal by <paramref name="rule"/>: 403 whose detail starts with the rule's name.</summary>
    public static GrantRefusedException Refuse(string rule, string message) => new(rule, message);
}
