namespace Broker.Audit;

/// <summary>
/// Sees every decision as it is recorded (action, outcome, reason: never a value), so the host can turn the trail
/// into metrics and span attributes without a second place that decides what a decision is.
/// </summary>
public interface IDecisionObserver
{
    void Observe(string action, string outcome, string? reason);
}
