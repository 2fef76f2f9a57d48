namespace Broker.Core.Grants;

/// <summary>A request refused by a grant rule (403): <see cref="Rule"/> names it, in the message and in the audit record.</summary>
public sealed class GrantRefusedException(string rule, string message)
    : BrokerOperationException(BrokerErrorKind.Forbidden, $"Rule {rule}: {message}")
{
    public string Rule { get; } = rule;
}
