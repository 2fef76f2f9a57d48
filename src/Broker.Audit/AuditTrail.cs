using System.Globalization;
using System.Text;
using Broker.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Audit;

/// <summary>
/// The one place that decides what a decision records: actor, tenant, request, bounded printable target and reason,
/// the outcome an error kind means, the HMAC of a value served. Every use case records through it, in one of the
/// trail's shapes:
/// <list type="bullet">
/// <item><see cref="RecordAsync"/>: a decision that is the answer (a mint, a verify, a refusal), durable before the answer.</item>
/// <item><see cref="RefuseAsync"/>: a refusal from a <see cref="BrokerOperationException"/>, recorded and rethrown by the caller.</item>
/// <item><see cref="ChangeAsync{T}"/>: a change, fail closed and truthful (intent first, a correction if it was not made).</item>
/// <item><see cref="RecordMadeAsync"/>: a change applied whatever the trail's state (a revoke), recorded after.</item>
/// <item><see cref="RecordReadsAsync"/>: secret values served, one record each, in one shared commit.</item>
/// <item><see cref="RecordDeniedAsync"/>: a request refused before any use case ran (authentication, rate limit, role).</item>
/// </list>
/// </summary>
public sealed partial class AuditTrail(IAuditLog log, AuditValueHmac valueHmac, IEnumerable<IDecisionObserver> observers, ILogger<AuditTrail>? logger = null)
{
    public const int MaxTargetLength = 512;
    public const int MaxReasonLength = 256;

    private readonly IDecisionObserver[] _observers = observers.ToArray();
    private readonly ILogger _logger = logger ?? NullLogger<AuditTrail>.Instance;

    /// <summary>Records one decision of the caller's tenant and waits until it is durable.</summary>
    /// <exception cref="AuditUnavailableException">The record could not be written: refuse (503).</exception>
    public ValueTask RecordAsync(AuditContext context, string action, string target, string outcome = AuditOutcomes.Allowed, string? reason = null) =>
        log.RecordAsync(Entry(context, context.Tenant, action, target, outcome, reason), context.RequestAborted);

    /// <summary>Records one decision in <paramref name="tenant"/> (a key created for another tenant).</summary>
    public ValueTask RecordAsync(AuditContext context, string tenant, string action, string target, string outcome, string? reason) =>
        log.RecordAsync(Entry(context, tenant, action, target, outcome, reason), context.RequestAborted);

    /// <summary>
    /// Records a refusal: the outcome <paramref name="refusal"/>'s kind means (<c>denied</c>, or <c>error</c> for an
    /// unavailable dependency) and <paramref name="reason"/>, or the reason the exception itself gives.
    /// </summary>
    public ValueTask RefuseAsync(AuditContext context, string action, string target, BrokerOperationException refusal, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return RecordAsync(context, action, target, AuditReason.OutcomeFor(refusal.Kind), reason ?? AuditReason.For(refusal).ToString());
    }

    /// <summary>
    /// Records a change already made (a revoke, which is applied even while the trail is down) and waits for it even
    /// when the client has gone: a change never goes unrecorded because its client disconnected.
    /// </summary>
    public ValueTask RecordMadeAsync(AuditContext context, string action, string target, string? reason = null) =>
        log.RecordAsync(Entry(context, context.Tenant, action, target, AuditOutcomes.Allowed, reason), CancellationToken.None);

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
        AuditContext context, string tenant, string action, string target, string? reason,
        Func<CancellationToken, Task<T>> change, Func<T, string?>? refusedBecause = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(change);
        try
        {
            await log.RecordAsync(Entry(context, tenant, action, target, AuditOutcomes.Allowed, reason), CancellationToken.None).ConfigureAwait(false);
        }
        catch (AuditUnavailableException)
        {
            // A commit reported as failed may still have landed: if the trail takes records again, say nothing followed.
            await FollowUpAsync(context, tenant, action, target, AuditOutcomes.Error, AuditReason.AuditUnavailable).ConfigureAwait(false);
            throw;
        }

        T result;
        try
        {
            result = await change(CancellationToken.None).ConfigureAwait(false);
        }
        catch (BrokerOperationException ex)
        {
            await FollowUpAsync(context, tenant, action, target, AuditReason.OutcomeFor(ex.Kind), AuditReason.For(ex).ToString()).ConfigureAwait(false);
            throw;
        }
        catch (Exception)
        {
            await FollowUpAsync(context, tenant, action, target, AuditOutcomes.Error, AuditReason.Failed).ConfigureAwait(false);
            throw;
        }

        if (refusedBecause?.Invoke(result) is { } why)
        {
            await FollowUpAsync(context, tenant, action, target, AuditOutcomes.Denied, why).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// Records a request refused before any use case ran as <c>request.denied</c> with reason <c>why:status</c>.
    /// Never throws for an unavailable audit: the request is refused either way, and a refusal that could not be
    /// recorded is still one.
    /// </summary>
    public async ValueTask RecordDeniedAsync(AuditContext context, int status, string why)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await log.RecordAsync(
                Entry(context, context.Tenant, AuditActions.RequestDenied, context.RequestLine, AuditOutcomes.Denied, why + ":" + status.ToString(CultureInfo.InvariantCulture)),
                context.RequestAborted).ConfigureAwait(false);
        }
        catch (AuditUnavailableException)
        {
        }
    }

    /// <summary>Records reads of secret values in one shared commit, each with the HMAC of the value it served.</summary>
    /// <exception cref="AuditUnavailableException">A record could not be written: serve nothing (503).</exception>
    public ValueTask RecordReadsAsync(AuditContext context, IEnumerable<(string Target, int Version, string Value)> reads)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!valueHmac.IsReady)
        {
            return RecordReadsOnceReadyAsync(context, reads);
        }

        var tenant = context.Tenant;
        var entries = reads.Select(r => Entry(context, tenant, AuditActions.CredentialRead, r.Target, AuditOutcomes.Allowed,
            "v" + r.Version.ToString(CultureInfo.InvariantCulture), valueHmac.Compute(tenant, r.Value))).ToArray();
        return entries.Length == 0 ? ValueTask.CompletedTask : log.RecordManyAsync(entries, context.RequestAborted);
    }

    /// <summary>Records one read of a secret value with what else the record says of it (how its user was proven), after its version.</summary>
    /// <exception cref="AuditUnavailableException">The record could not be written: serve nothing (503).</exception>
    public ValueTask RecordReadAsync(AuditContext context, string target, int version, string value, string? detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!valueHmac.IsReady)
        {
            return RecordReadOnceReadyAsync(context, target, version, value, detail);
        }

        var reason = "v" + version.ToString(CultureInfo.InvariantCulture) + (string.IsNullOrEmpty(detail) ? "" : " " + detail);
        return log.RecordAsync(
            Entry(context, context.Tenant, AuditActions.CredentialRead, target, AuditOutcomes.Allowed, reason, valueHmac.Compute(context.Tenant, value)), context.RequestAborted);
    }

    // The value-HMAC key was not loaded at start (its key-encryption key was unavailable): load it, then record.
    private async ValueTask RecordReadsOnceReadyAsync(AuditContext context, IEnumerable<(string Target, int Version, string Value)> reads)
    {
        await valueHmac.EnsureReadyAsync(context.RequestAborted).ConfigureAwait(false);
        await RecordReadsAsync(context, reads).ConfigureAwait(false);
    }

    private async ValueTask RecordReadOnceReadyAsync(AuditContext context, string target, int version, string value, string? detail)
    {
        await valueHmac.EnsureReadyAsync(context.RequestAborted).ConfigureAwait(false);
        await RecordReadAsync(context, target, version, value, detail).ConfigureAwait(false);
    }

    private async Task FollowUpAsync(AuditContext context, string tenant, string action, string target, string outcome, string reason)
    {
        try
        {
            await log.RecordAsync(Entry(context, tenant, action, target, outcome, reason), CancellationToken.None).ConfigureAwait(false);
        }
        catch (AuditUnavailableException)
        {
            // The caller's answer stands (the change was not made); only the correction of the trail is missing.
            LogFollowUpLost(_logger, action, outcome, reason, context.RequestId);
        }
    }

    private AuditEntry Entry(AuditContext context, string tenant, string action, string target, string outcome, string? reason, string? hmac = null)
    {
        foreach (var observer in _observers)
        {
            observer.Observe(action, outcome, reason);
        }

        var caller = context.Caller;
        var actor = caller is null ? AuditActor.Anonymous : new AuditActor(caller.KeyId, caller.Name, caller.Role.ToWire());
        return new AuditEntry(
            tenant, actor, action, Printable(target, MaxTargetLength)!, outcome, Printable(reason, MaxReasonLength), context.RequestId,
            context.ClientAddress, string.IsNullOrEmpty(context.UserAgent) ? null : Printable(context.UserAgent, MaxReasonLength), hmac);
    }

    /// <summary>
    /// Request text (a route value, a query value, a header) as the record keeps it: bounded, and with control
    /// characters and unpaired surrogates written as <c>\uXXXX</c>. PostgreSQL refuses a NUL in text, and one record
    /// it refuses fails its whole group commit, so other callers' requests too.
    /// </summary>
    public static string? Printable(string? text, int maxLength)
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

        var builder = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogatePair(text, i))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>A bounded target for a record, even for a value that failed validation: a refusal cannot flood the trail.</summary>
    public static string Bounded(string? value, int maxLength = 128) => value is null ? "" : value.Length > maxLength ? value[..maxLength] : value;

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit record that {Action} of request {RequestId} ended {Outcome} ({Reason}) could not be written; an 'allowed' record of it may stand alone in the trail.")]
    private static partial void LogFollowUpLost(ILogger logger, string action, string outcome, string reason, string requestId);
}
