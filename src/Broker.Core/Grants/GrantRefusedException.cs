namespace Broker.Core.Grants;

/// <summary>A request refused by a grant rule (403): <see cref="Rule"/> names it, in the message and in the audit record.</summary>
public sealed class GrantRefusedException(string rule, string message)
    : BrokerOperationException(BrokerErrorKind.Forbidden, $"Rule {rule}: {message}")
{
    public string Rule { get; } = rule;

    /// <summary>What matched the rule when that is worth telling the use case (the role an STS request resolved to, for <see cref="GrantRules.ApprovalRequired"/>); never a secret.</summary>
    public string? Matched { get; init; }
}
