using Broker.Audit;
using Broker.Core;
using Broker.Server.Observability;

namespace Broker.Server.Security;

/// <summary>
/// Builds audit entries from the request (actor, request id, client address, user agent) and awaits their
/// durability. A value that must be matchable later is recorded as its keyed HMAC, never itself.
/// </summary>
public sealed partial class RequestAudit(IAuditLog log, AuditValueHmac valueHmac, ServerTelemetry telemetry, ILogger<RequestAudit> logger)
{
    public ValueTask RecordAsync(HttpContext context, string action, string target, string outcome = AuditOutcomes.Allowed, string? reason = null)
    {
        var caller = context.Features.Get<Caller>();
        return log.RecordAsync(Entry(context, caller?.Tenant ?? Tenants.Default, caller, action, target, outcome, reason), context.RequestAborted);
    }

    public ValueTask RecordAsync(HttpContext context, string tenant, Caller? caller, string action, string target, string outcome, string? reason) =>
        log.RecordAsync(Entry(context, tenant, caller, action, target, outcome, reason), context.RequestAborted);

    /// <summary>
    /// Records a change already made (a revoke, which is applied even while the trail is down) and waits for it even
    /// when the client has gone: a change never goes unrecorded because its client disconnected.
    /// </summary>
    public ValueTask RecordMadeAsync(HttpContext context, string action, string target, string? reason = null)
    {
        var caller = context.GetCaller();
        return log.RecordAsync(Entry(context, caller.Tenant, caller, action, target, AuditOutcomes.Allowed, reason), CancellationToken.None);
    }

    /// <summary>
    /// Makes a change under both rules of the trail. <b>Fail closed:</b> <c>allowed</c> is recorded, durably, before
    /// <paramref name="change"/> runs, so an audit outage refuses the change (503) and changes nothing. <b>Truthful:</b>
    /// when the change is refused after all (<paramref name="refusedBecause"/> returns why, e.g. the version moved
    /// between the caller's check and the store's transaction) or throws, a second record with the same request id
    /// says so (<c>denied</c> or <c>error</c> and the reason), so an <c>allowed</c> record never stands alone for a
    /// change that was not made. Callers check what they can first and record a refusal without calling this.
    /// </summary>
    /// <remarks>
    /// Once its intent is recorded the change runs to its end even if the client goes away (it gets
    /// <see cref="CancellationToken.None"/>): a change abandoned half-way would make the record's meaning unknowable.
    /// </remarks>
    public async Task<T> ChangeAsync<T>(
        HttpContext context, string tenant, Caller caller, string action, string target, string? reason,
        Func<CancellationToken, Task<T>> change, Func<T, string?>? refusedBecause = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        try
        {
            await log.RecordAsync(Entry(context, tenant, caller, action, target, AuditOutcomes.Allowed, reason), CancellationToken.None);
        }
        catch (AuditUnavailableException)
        {
            // A commit reported as failed may still have landed: if the trail takes records again, say nothing followed.
            await FollowUpAsync(context, tenant, caller, action, target, AuditOutcomes.Error, AuditReason.AuditUnavailable);
            throw;
        }

        T result;
        try
        {
            result = await change(CancellationToken.None);
        }
        catch (BrokerOperationException ex)
        {
            await FollowUpAsync(context, tenant, caller, action, target, AuditReason.OutcomeFor(ex.Kind), AuditReason.For(ex).ToString());
            throw;
        }
        catch (Exception)
        {
            await FollowUpAsync(context, tenant, caller, action, target, AuditOutcomes.Error, AuditReason.Failed);
            throw;
        }

        if (refusedBecause?.Invoke(result) is { } why)
        {
            await FollowUpAsync(context, tenant, caller, action, target, AuditOutcomes.Denied, why);
        }

        return result;
    }

    /// <summary>
    /// Records a refused request as <c>request.denied</c> with reason <c>why:status</c>. Never throws for an
    /// unavailable audit: the request is refused either way, and a refusal that could not be recorded is still one.
    /// </summary>
    public async ValueTask RecordDeniedAsync(HttpContext context, Caller? caller, int status, string why)
    {
        try
        {
            var target = context.Request.Method + " " + context.Request.Path.Value;
            await RecordAsync(context, caller?.Tenant ?? Tenants.Default, caller, AuditActions.RequestDenied, target.Length > 512 ? target[..512] : target,
                AuditOutcomes.Denied, why + ":" + status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (AuditUnavailableException)
        {
        }
    }

    /// <summary>Records reads of secret values in one shared commit, each with the HMAC of the value it served.</summary>
    public ValueTask RecordReadsAsync(HttpContext context, IEnumerable<(string Target, int Version, string Value)> reads)
    {
        var caller = context.GetCaller();
        var entries = reads.Select(r => Entry(context, caller.Tenant, caller, AuditActions.CredentialRead, r.Target, AuditOutcomes.Allowed,
            "v" + r.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), valueHmac.Compute(caller.Tenant, r.Value))).ToArray();
        return entries.Length == 0 ? ValueTask.CompletedTask : log.RecordManyAsync(entries, context.RequestAborted);
    }

    private async Task FollowUpAsync(HttpContext context, string tenant, Caller caller, string action, string target, string outcome, string reason)
    {
        try
        {
            await log.RecordAsync(Entry(context, tenant, caller, action, target, outcome, reason), CancellationToken.None);
        }
        catch (AuditUnavailableException)
        {
            // The caller's answer stands (the change was not made); only the correction of the trail is missing.
            LogFollowUpLost(logger, action, outcome, reason, context.TraceIdentifier);
        }
    }

    private AuditEntry Entry(HttpContext context, string tenant, Caller? caller, string action, string target, string outcome, string? reason, string? hmac = null)
    {
        Observe(action, outcome, reason);
        var actor = caller is null ? AuditActor.Anonymous : new AuditActor(caller.KeyId, caller.Name, caller.Role.ToWire());
        var userAgent = context.Request.Headers.UserAgent.ToString();
        return new AuditEntry(
            tenant, actor, action, Printable(target, 512)!, outcome, Printable(reason, 256), context.TraceIdentifier,
            context.Connection.RemoteIpAddress?.ToString(),
            userAgent.Length == 0 ? null : Printable(userAgent, 256),
            hmac);
    }

    /// <summary>
    /// Request text (a route value, a query value, a header) as the record keeps it: bounded, and with control
    /// characters and unpaired surrogates written as <c>\uXXXX</c>. PostgreSQL refuses a NUL in text, and one record
    /// it refuses fails its whole group commit, so other callers' requests too.
    /// </summary>
    internal static string? Printable(string? text, int maxLength)
    {
        if (text is null)
        {
            return null;
        }

        if (text.Length > maxLength)
        {
            text = text[..maxLength];
        }

        // The common case (a name, an id) allocates nothing.
        var clean = true;
        foreach (var c in text)
        {
            clean &= !char.IsControl(c) && !char.IsSurrogate(c);
        }

        if (clean)
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogatePair(text, i))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Every audited decision is also a span attribute and a metric (action, outcome, reason: never values).</summary>
    private void Observe(string action, string outcome, string? reason)
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

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit record that {Action} of request {RequestId} ended {Outcome} ({Reason}) could not be written; an 'allowed' record of it may stand alone in the trail.")]
    private static partial void LogFollowUpLost(ILogger logger, string action, string outcome, string reason, string requestId);
}
