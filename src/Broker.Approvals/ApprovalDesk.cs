using System.Buffers.Text;
using System.Security.Cryptography;
using Broker.Audit;
using Broker.Core;
using Broker.Core.Grants;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Broker.Approvals;

/// <summary>
/// Human approval as use cases that record themselves (API.md v1.1 "Approvals"): a request the key's <c>approval</c>
/// grant names is held as a pending approval (<c>approval.request</c>); an approver (or admin) of the tenant lists,
/// approves (only ever narrower) or denies it (<c>approval.approve</c>, <c>approval.deny</c>); the requesting key waits
/// for the decision (woken at once by <see cref="ApprovalSignal"/>, and re-checked before it is answered) and repeats
/// its request with the approval, which is consumed once, atomically, for exactly the parameters approved
/// (<c>approval.consume</c>). An approval never holds a value, a proof or a key: only parameters.
/// </summary>
public sealed class ApprovalDesk(
    IApprovalStore store, ApprovalSignal signal, AuditTrail audit, IOptions<ApprovalOptions> options, TimeProvider time,
    ApprovalWebhook? webhook = null, IHostApplicationLifetime? lifetime = null)
{
    public const int MaxWaitSeconds = 60;
    public const int MaxReasonLength = 256;
    public const int ListLimit = 1000;

    /// <summary>Holds <paramref name="ask"/> of <paramref name="context"/>'s key for a decision: stored, recorded, announced.</summary>
    /// <exception cref="AuditUnavailableException">The request could not be recorded: nothing is held (503).</exception>
    public async Task<Approval> RequestAsync(AuditContext context, ApprovalAsk ask, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(ask);
        var caller = context.RequireCaller();
        var now = time.GetUtcNow();
        var approval = new Approval(NewId(), caller.Tenant, caller.KeyId, caller.Name, ask, ApprovalStatuses.Pending, now, now + options.Value.Ttl);
        await audit.ChangeAsync(context, caller.Tenant, AuditActions.ApprovalRequest, approval.Id, Describe(ask).ToString(), async _ =>
        {
            await store.InsertAsync(approval, CancellationToken.None).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        await AnnounceAsync(approval).ConfigureAwait(false);
        return approval;
    }

    /// <summary>
    /// Uses approval <paramref name="id"/> for <paramref name="ask"/> of <paramref name="context"/>'s key, once: the same
    /// key, the same parameters, approved, unused, unexpired. Concurrent replays: exactly one wins.
    /// </summary>
    /// <returns>The approval as approved (with what it narrowed).</returns>
    /// <exception cref="GrantRefusedException">Refused, naming the rule (<c>approval_unknown</c>, <c>approval_key</c>, <c>approval_parameters</c>, <c>approval_used</c>, <c>approval_denied</c>, <c>approval_pending</c>, <c>approval_expired</c>); recorded.</exception>
    public async Task<Approval> ConsumeAsync(AuditContext context, string id, ApprovalAsk ask, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(ask);
        var caller = context.RequireCaller();
        var now = time.GetUtcNow();
        var target = IsValidId(id) ? id : "(invalid)";
        if (IsValidId(id) && await store.ConsumeAsync(caller.Tenant, id, caller.KeyId, ask.Hash, now, cancellationToken).ConfigureAwait(false))
        {
            var used = await store.GetAsync(caller.Tenant, id, CancellationToken.None).ConfigureAwait(false)
                ?? throw new InvalidOperationException("A consumed approval vanished.");
            await audit.RecordAsync(context, AuditActions.ApprovalConsume, id, AuditOutcomes.Allowed, Describe(ask).Add("decidedBy", used.DecidedBy).ToString()).ConfigureAwait(false);
            return used;
        }

        var found = IsValidId(id) ? await store.GetAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false) : null;
        var refusal = found switch
        {
            null => GrantRules.Refuse(GrantRules.ApprovalUnknown, "no such approval in this tenant."),
            _ when !string.Equals(found.KeyId, caller.KeyId, StringComparison.Ordinal) => GrantRules.Refuse(GrantRules.ApprovalKey, "this approval was asked for by another key."),
            _ when !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(found.Ask.Hash), System.Text.Encoding.ASCII.GetBytes(ask.Hash)) =>
                GrantRules.Refuse(GrantRules.ApprovalParameters, "this approval was given for other request parameters."),
            { ConsumedAt: not null } => GrantRules.Refuse(GrantRules.ApprovalUsed, "this approval was already used."),
            _ => found.StatusAt(now) switch
            {
                ApprovalStatuses.Denied => GrantRules.Refuse(GrantRules.ApprovalDenied, "this request was denied."),
                ApprovalStatuses.Pending => GrantRules.Refuse(GrantRules.ApprovalPending, "this request has not been decided yet."),
                _ => GrantRules.Refuse(GrantRules.ApprovalExpired, "this approval has expired."),
            },
        };
        await audit.RefuseAsync(context, AuditActions.ApprovalConsume, target, refusal).ConfigureAwait(false);
        throw refusal;
    }

    /// <summary>
    /// Gives back the use of <paramref name="used"/> (consumed by this request) when what it approved delivered nothing:
    /// the upstream refused or failed (<paramref name="failure"/>), so no credential left the broker. The same key may
    /// then repeat the request with the same approval until it expires. Recorded as <c>approval.release</c> with the
    /// failure's reason; best effort: a release that cannot be made or recorded leaves the approval used (the safe side).
    /// </summary>
    public async Task ReleaseAsync(AuditContext context, Approval used, BrokerOperationException failure)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(used);
        ArgumentNullException.ThrowIfNull(failure);
        if (used.ConsumedAt is not { } consumedAt)
        {
            return;
        }

        var caller = context.RequireCaller();
        try
        {
            await audit.ChangeAsync(context, caller.Tenant, AuditActions.ApprovalRelease, used.Id, AuditReason.For(failure).ToString(),
                _ => store.ReleaseAsync(caller.Tenant, used.Id, caller.KeyId, consumedAt, CancellationToken.None),
                released => released ? null : "not_consumed").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuditUnavailableException or BrokerOperationException)
        {
            // The approval stays used: the agent asks again, which is the answer it would have had without the release.
        }
    }

    /// <summary>
    /// Approval <paramref name="id"/> as <paramref name="context"/>'s key may see it (its own request, or any of the
    /// tenant's for an approver or admin); with <paramref name="waitSeconds"/>, held while it is pending until it is
    /// decided, expires or the wait ends. The key is checked again before the answer.
    /// </summary>
    /// <exception cref="ValidationException">The wait is out of range.</exception>
    public async Task<ApprovalWaitResult> GetAsync(AuditContext context, IHeldKey key, string id, int waitSeconds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(key);
        var caller = context.RequireCaller();
        if (waitSeconds is < 0 or > MaxWaitSeconds)
        {
            throw new ValidationException("wait", $"\"wait\" is a number of seconds from 0 to {MaxWaitSeconds}.");
        }

        if (!IsValidId(id))
        {
            return ApprovalWaitResult.NotFound;
        }

        // Take the signal's link before reading, so a decision between the read and the wait is not missed.
        var watch = signal.Watch();
        var approval = await store.GetAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false);
        if (approval is null || !MaySee(caller, approval))
        {
            return ApprovalWaitResult.NotFound;
        }

        var now = time.GetUtcNow();
        if (waitSeconds > 0 && approval.StatusAt(now) == ApprovalStatuses.Pending)
        {
            var deadline = now.AddSeconds(waitSeconds) < approval.ExpiresAt ? now.AddSeconds(waitSeconds) : approval.ExpiresAt;
            var stoppingToken = lifetime?.ApplicationStopping ?? CancellationToken.None;
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stoppingToken);
            KeyWaitOutcome outcome;
            try
            {
                outcome = await key.WaitAsync(token => ApprovalSignal.WaitAsync(watch, id, token), deadline, stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // A shutdown answers held waits at once: the agent polls again (another replica, or later).
                outcome = KeyWaitOutcome.TimedOut;
            }

            if (outcome == KeyWaitOutcome.KeyInvalid)
            {
                await audit.RecordDeniedAsync(context, 401, "unauthenticated").ConfigureAwait(false);
                return ApprovalWaitResult.Unauthenticated;
            }

            approval = await store.GetAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false) ?? approval;
        }

        // Whatever ended the wait, the key must still be valid for what is said now.
        if (!await key.IsStillValidAsync(cancellationToken).ConfigureAwait(false))
        {
            await audit.RecordDeniedAsync(context, 401, "unauthenticated").ConfigureAwait(false);
            return ApprovalWaitResult.Unauthenticated;
        }

        return new ApprovalWaitResult(approval, false);
    }

    /// <summary>The tenant's approvals (newest first), all or those with <paramref name="status"/>.</summary>
    /// <exception cref="ValidationException">An unknown status.</exception>
    public async Task<IReadOnlyList<Approval>> ListAsync(AuditContext context, string? status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        if (status is not null && !ApprovalStatuses.IsKnown(status))
        {
            throw new ValidationException("status", "\"status\" is one of pending, approved, denied, expired.");
        }

        var now = time.GetUtcNow();
        var items = await store.ListAsync(caller.Tenant, status == ApprovalStatuses.Pending ? now : null, ListLimit, cancellationToken).ConfigureAwait(false);
        return status is null ? items : items.Where(a => a.StatusAt(now) == status).ToArray();
    }

    /// <summary>Approves a pending request, as asked or narrower (a shorter lifetime, fewer scopes); the agent may then use it once.</summary>
    /// <exception cref="ValidationException">The reason is invalid, or the narrowing widens or does not apply to this kind (400).</exception>
    /// <exception cref="BrokerOperationException">NotFound; Conflict (already decided or expired); Forbidden (<c>approval_self</c>). Recorded.</exception>
    public async Task<Approval> ApproveAsync(AuditContext context, string id, ApprovalNarrowing narrowing, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(narrowing);
        return await DecideAsync(context, id, ApprovalStatuses.Approved, narrowing.Reason, narrowing, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Denies a pending request with a reason the agent is told.</summary>
    /// <exception cref="ValidationException">The reason is missing or invalid (400).</exception>
    /// <exception cref="BrokerOperationException">NotFound; Conflict (already decided or expired); Forbidden (<c>approval_self</c>). Recorded.</exception>
    public async Task<Approval> DenyAsync(AuditContext context, string id, string? reason, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new ValidationException("reason", "A denial needs a reason.");
        }

        return await DecideAsync(context, id, ApprovalStatuses.Denied, reason, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records (<c>approval.expire</c>, outcome <c>denied</c>, by the broker itself) and announces to the webhook
    /// (<c>event</c> <c>expired</c>) every approval of every tenant that expired undecided, or approved and never used,
    /// once across all replicas: each is claimed by one conditional write first. A claim whose record cannot be
    /// written is given back, so a later pass tries again; a denied or used approval expires silently (it was
    /// already decided, or delivered). Returns how many were announced.
    /// </summary>
    /// <exception cref="AuditUnavailableException">The trail refused a record: the pass stops there (nothing is lost).</exception>
    public async Task<int> AnnounceExpiriesAsync(CancellationToken cancellationToken = default)
    {
        var announced = 0;
        while (true)
        {
            var due = await store.ListExpiryDueAsync(time.GetUtcNow(), ExpiryBatch, cancellationToken).ConfigureAwait(false);
            foreach (var approval in due)
            {
                if (!await store.ClaimExpiryAsync(approval.Tenant, approval.Id, true, cancellationToken).ConfigureAwait(false))
                {
                    continue; // another replica announces it
                }

                var lapsed = approval.StoredStatus == ApprovalStatuses.Pending ? "undecided"
                    : approval.StoredStatus == ApprovalStatuses.Approved && approval.ConsumedAt is null ? "unused"
                    : null;
                if (lapsed is null)
                {
                    continue;
                }

                var context = new AuditContext(null, "approval-expiry-" + Guid.NewGuid().ToString("n"));
                var reason = Describe(approval.Ask).Add("requestedBy", approval.RequestedBy).Add("expired", lapsed).Add("decidedBy", approval.DecidedBy);
                try
                {
                    await audit.RecordAsync(context, approval.Tenant, AuditActions.ApprovalExpire, approval.Id, AuditOutcomes.Denied, reason.ToString()).ConfigureAwait(false);
                }
                catch (AuditUnavailableException)
                {
                    await store.ClaimExpiryAsync(approval.Tenant, approval.Id, false, CancellationToken.None).ConfigureAwait(false);
                    throw;
                }

                await AnnounceAsync(approval, expired: true).ConfigureAwait(false);
                announced++;
            }

            if (due.Count < ExpiryBatch)
            {
                return announced;
            }
        }
    }

    private const int ExpiryBatch = 100;

    /// <summary>Hands <paramref name="approval"/> to the webhook's outbox, when there is a webhook.</summary>
    private Task AnnounceAsync(Approval approval, bool expired = false) =>
        webhook is null ? Task.CompletedTask : expired ? webhook.EnqueueExpiredAsync(approval) : webhook.EnqueueAsync(approval);

    /// <summary>Whether <paramref name="id"/> has the shape of an approval id (<c>apr_</c> and 22 base64url characters).</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: 26 } && id.StartsWith("apr_", StringComparison.Ordinal) && id.AsSpan(4).IndexOfAnyExcept(Base64UrlAlphabet) < 0;

    private static readonly System.Buffers.SearchValues<char> Base64UrlAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private async Task<Approval> DecideAsync(AuditContext context, string id, string verdict, string? reason, ApprovalNarrowing? narrowing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        var action = verdict == ApprovalStatuses.Approved ? AuditActions.ApprovalApprove : AuditActions.ApprovalDeny;
        if (reason is not null && !IsSafeText(reason, MaxReasonLength))
        {
            throw new ValidationException("reason", $"\"reason\" is at most {MaxReasonLength} characters, no control characters.");
        }

        var found = IsValidId(id) ? await store.GetAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false) : null;
        var target = IsValidId(id) ? id : "(invalid)";
        var now = time.GetUtcNow();
        try
        {
            if (found is null)
            {
                throw new BrokerOperationException(BrokerErrorKind.NotFound, "No such approval in this tenant.");
            }

            if (string.Equals(found.KeyId, caller.KeyId, StringComparison.Ordinal))
            {
                throw GrantRules.Refuse(GrantRules.ApprovalSelf, "a key never decides a request it made itself.");
            }

            if (found.StatusAt(now) != ApprovalStatuses.Pending)
            {
                throw Conflict(found, now);
            }
        }
        catch (BrokerOperationException refused)
        {
            await audit.RefuseAsync(context, action, target, refused).ConfigureAwait(false);
            throw;
        }

        var (lifetime, scopes) = narrowing is null ? (null, null) : Narrow(found.Ask, narrowing);
        var decision = new ApprovalDecision(verdict, caller.KeyId, caller.Name, now, reason,
            verdict == ApprovalStatuses.Approved ? now + options.Value.Ttl : found.ExpiresAt, lifetime, scopes);
        var why = Describe(found.Ask).Add("requestedBy", found.RequestedBy).Add("ttl", lifetime).AddList("grantedScopes", scopes).Add("why", reason);
        var decided = await audit.ChangeAsync(context, caller.Tenant, action, id, why.ToString(),
            ct => store.DecideAsync(caller.Tenant, id, decision, ct), ok => ok ? null : AuditReason.Conflict).ConfigureAwait(false);
        if (!decided)
        {
            var now2 = time.GetUtcNow();
            throw Conflict(await store.GetAsync(caller.Tenant, id, CancellationToken.None).ConfigureAwait(false) ?? found, now2);
        }

        signal.Publish(id);
        var result = await store.GetAsync(caller.Tenant, id, CancellationToken.None).ConfigureAwait(false) ?? found;
        await AnnounceAsync(result).ConfigureAwait(false);
        return result;
    }

    /// <summary>What an approval may narrow: a token's ttl and scopes, an STS session's duration; never more than asked.</summary>
    private static (int? Lifetime, IReadOnlyList<string>? Scopes) Narrow(ApprovalAsk ask, ApprovalNarrowing narrowing)
    {
        Dictionary<string, string[]>? errors = null;
        void Fail(string field, string message) => (errors ??= [])[field] = [message];
        var min = ask.Kind == ApprovalKinds.Sts ? 900 : 5;
        if (narrowing.TtlSeconds is { } ttl)
        {
            if (ask.LifetimeSeconds is not { } asked)
            {
                Fail("ttlSeconds", "A credential read has no lifetime to narrow.");
            }
            else if (ttl < min || ttl > asked)
            {
                Fail("ttlSeconds", $"ttlSeconds may only narrow: {min}..{asked}.");
            }
        }

        IReadOnlyList<string>? scopes = null;
        if (narrowing.Scopes is { } given)
        {
            if (ask.Kind != ApprovalKinds.Token)
            {
                Fail("scopes", "Only a token request has scopes to narrow.");
            }
            else if (given.Any(s => s is null || !ask.Scopes.Contains(s, StringComparer.Ordinal)))
            {
                Fail("scopes", "scopes may only narrow: each must be one the request asked for.");
            }
            else
            {
                scopes = given.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            }
        }

        return errors is null ? (narrowing.TtlSeconds, scopes) : throw new ValidationException(errors);
    }

    private static BrokerOperationException Conflict(Approval approval, DateTimeOffset now) =>
        new(BrokerErrorKind.Conflict, $"This approval is {approval.StatusAt(now)}: only a pending request can be decided.");

    private static bool MaySee(Caller caller, Approval approval) =>
        caller.Role.Satisfies(Role.Approver) || string.Equals(approval.KeyId, caller.KeyId, StringComparison.Ordinal);

    /// <summary>What was asked, for the record: parameters only.</summary>
    private static AuditReason Describe(ApprovalAsk ask) =>
        new AuditReason().Add("kind", ask.Kind).Add("target", ask.Target).AddList("scopes", ask.Scopes.Count == 0 ? null : ask.Scopes)
            .Add("role", ask.RoleArn).Add("onBehalfOf", ask.OnBehalfOf).Add("task", ask.Task).Add("lifetime", ask.LifetimeSeconds);

    private static bool IsSafeText(string value, int maxLength) =>
        value.Length > 0 && value.Length <= maxLength && !value.Any(char.IsControl);

    private static string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return "apr_" + Base64Url.EncodeToString(bytes);
    }
}
