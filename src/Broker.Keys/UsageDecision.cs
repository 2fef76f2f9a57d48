namespace Broker.Keys;

public enum UsageDecisionKind
{
    Allowed,
    RateLimited,
    QuotaExceeded,
}

public readonly record struct UsageDecision(UsageDecisionKind Kind, TimeSpan RetryAfter)
{
    public static readonly UsageDecision Allowed = new(UsageDecisionKind.Allowed, TimeSpan.Zero);

    public bool IsAllowed => Kind == UsageDecisionKind.Allowed;
}
