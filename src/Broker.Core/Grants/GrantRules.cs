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

    // A request repeated with Broker-Approval: the approval's id is unknown (or of another tenant), was asked by
    // another key, for other parameters, was already used, was denied, is still pending, or has expired.
    public const string ApprovalUnknown = "approval_unknown";
    public const string ApprovalKey = "approval_key";
    public const string ApprovalParameters = "approval_parameters";
    public const string ApprovalUsed = "approval_used";
    public const string ApprovalDenied = "approval_denied";
    public const string ApprovalPending = "approval_pending";
    public const string ApprovalExpired = "approval_expired";

    /// <summary>Separation of duty: a key never decides a request it made itself.</summary>
    public const string ApprovalSelf = "approval_self";

    /// <summary>A refusal by <paramref name="rule"/>: 403 whose detail starts with the rule's name.</summary>
    public static GrantRefusedException Refuse(string rule, string message) => new(rule, message);
}
