using Broker.Audit;

namespace Broker.Server.Observability;

/// <summary>Every audited decision is also a span attribute and a metric (action, outcome, reason: never values).</summary>
public sealed class TelemetryDecisionObserver(ServerTelemetry telemetry) : IDecisionObserver
{
    public void Observe(string action, string outcome, string? reason)
    {
        var activity = System.Diagnostics.Activity.Current;
        activity?.SetTag("broker.action", action);
        activity?.SetTag("broker.outcome", outcome);
        telemetry.Decisions.Add(1, new("action", action), new("outcome", outcome));
        if (action == AuditActions.RequestDenied)
        {
            telemetry.Denials.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }
        else if (outcome == AuditOutcomes.Allowed && action is AuditActions.TokenMint or AuditActions.StsMint)
        {
            telemetry.Mints.Add(1, new KeyValuePair<string, object?>("kind", action == AuditActions.TokenMint ? "token" : "sts"));
        }
        else if (outcome == AuditOutcomes.Allowed && action is AuditActions.KeyRevoke or AuditActions.KeyRevokeLeaked)
        {
            telemetry.Revocations.Add(1, new KeyValuePair<string, object?>("action", action));
        }
    }
}
