using Broker.Approvals;
using Broker.Audit;
using Broker.Core;
using Broker.Core.Grants;
using Microsoft.Extensions.Hosting;

namespace Broker.Credentials;

/// <summary>
/// What an agent reads, as one use case per route: it authorizes (the key's patterns), waits (long-poll woken by the
/// in-process change signal, never by re-reading the store per waiter, and ended by a revoke of the key), decrypts,
/// and records every value served before it leaves (fail closed, one shared commit). The host only binds and maps.
/// A credential the key's <c>approval</c> grant names is never in the feed, and is read only with a human's approval
/// (<paramref name="approvals"/>; without it such a read is refused).
/// </summary>
public sealed class AgentCredentialFeed(
    CredentialService credentials, AuditTrail audit, LongPollLimiter longPolls, TimeProvider time, IHostApplicationLifetime? lifetime = null, IUserProofs? proofs = null,
    ApprovalDesk? approvals = null)
{
    /// <summary>Rule name of a read the key's credential patterns do not allow.</summary>
    public const string PatternRule = GrantRules.CredentialPattern;

    /// <summary>
    /// The values <paramref name="context"/>'s key may read: all of them, or those changed after a cursor; when none
    /// changed and the query waits, held until one does, the wait ends, the broker stops or the key stops being valid.
    /// </summary>
    /// <exception cref="ValidationException">The wait is out of range, or a wait has no cursor to wait from.</exception>
    /// <exception cref="AuditUnavailableException">The reads could not be recorded: nothing is served (503).</exception>
    public async Task<AgentFeedResult> ReadAsync(AuditContext context, IHeldKey key, AgentFeedQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(query);
        var caller = context.RequireCaller();
        if (query.WaitSeconds is < 0 or > AgentFeedOptions.MaxWaitSeconds)
        {
            throw new ValidationException("wait", $"\"wait\" is a number of seconds from 0 to {AgentFeedOptions.MaxWaitSeconds}.");
        }

        if (query.WaitSeconds > 0 && query.Since is null && query.KnownCursor is null)
        {
            throw new ValidationException("wait", "\"wait\" needs since= or If-None-Match.");
        }

        var deadline = time.GetUtcNow().AddSeconds(query.WaitSeconds);

        // Take the signal's link before reading, so a change between the read and the wait is not missed.
        var watch = credentials.Signal.Watch(caller.Tenant);
        var baseline = query.Since ?? query.KnownCursor;
        var changes = await credentials.GetChangesAsync(caller.Tenant, baseline, cancellationToken).ConfigureAwait(false);
        var view = View.Of(caller, changes);
        if (view.Empty && query.WaitSeconds > 0)
        {
            if (!longPolls.TryEnter(caller.KeyId))
            {
                await audit.RecordDeniedAsync(context, 429, "long_polls").ConfigureAwait(false);
                return AgentFeedResult.Refused(AgentFeedStatus.TooManyWaits);
            }

            KeyWaitOutcome outcome;
            try
            {
                outcome = await WaitAsync(caller, key, watch, changes.Cursor, deadline, cancellationToken).ConfigureAwait(false);
                if (outcome == KeyWaitOutcome.Signalled)
                {
                    changes = await credentials.GetChangesAsync(caller.Tenant, baseline, cancellationToken).ConfigureAwait(false);
                    view = View.Of(caller, changes);
                }
            }
            finally
            {
                longPolls.Exit(caller.KeyId);
            }

            // Whatever ended the wait (and the read after it), the key must still be valid for what leaves now.
            if (outcome == KeyWaitOutcome.KeyInvalid || !await key.IsStillValidAsync(cancellationToken).ConfigureAwait(false))
            {
                await audit.RecordDeniedAsync(context, 401, "unauthenticated").ConfigureAwait(false);
                return AgentFeedResult.Refused(AgentFeedStatus.KeyInvalid);
            }
        }

        if (view.Empty && (query.KnownCursor is not null || query.WaitSeconds > 0))
        {
            return new AgentFeedResult(AgentFeedStatus.NotModified, query.KnownCursor ?? changes.Cursor, [], []);
        }

        var values = new CredentialValue[view.Changed.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = credentials.Decrypt(view.Changed[i]);
        }

        // Fail closed: values leave only after their reads are durable in the audit trail (one shared commit).
        await audit.RecordReadsAsync(context, values.Select(v => (v.Name, v.Version, v.Value))).ConfigureAwait(false);
        return new AgentFeedResult(AgentFeedStatus.Changed, changes.Cursor, values, view.Removed);
    }

    /// <summary>One credential's value (<paramref name="subject"/>: a per-user value, never a fall-back to the shared one).</summary>
    /// <exception cref="ValidationException">The name or subject is invalid.</exception>
    /// <exception cref="BrokerOperationException">Forbidden (<see cref="PatternRule"/>); NotFound. Both recorded as denied.</exception>
    /// <exception cref="AuditUnavailableException">The read could not be recorded: nothing is served (503).</exception>
    public Task<CredentialValue> ReadOneAsync(AuditContext context, string name, string? subject, CancellationToken cancellationToken = default) =>
        ReadOneAsync(context, name, subject, null, cancellationToken);

    /// <summary>One credential's value; a per-user value needs <paramref name="proof"/> of that user (or the <c>subjects: any</c> grant).</summary>
    /// <exception cref="ValidationException">The name or subject is invalid.</exception>
    /// <exception cref="BrokerOperationException">Forbidden (<see cref="PatternRule"/>, <c>subject_unproven</c>); NotFound. Recorded as denied, with how the user was proven.</exception>
    /// <exception cref="AuditUnavailableException">The read could not be recorded: nothing is served (503).</exception>
    public Task<CredentialValue> ReadOneAsync(AuditContext context, string name, string? subject, UserProof? proof, CancellationToken cancellationToken = default) =>
        ReadOneAsync(context, name, subject, proof, null, cancellationToken);

    /// <summary>One credential's value; <paramref name="approvalId"/>: the human approval this repeated read carries (used once).</summary>
    /// <exception cref="ValidationException">The name or subject is invalid.</exception>
    /// <exception cref="BrokerOperationException">Forbidden (a grant's rule, or the approval's); NotFound. Recorded as denied.</exception>
    /// <exception cref="ApprovalPendingException">The read waits for a human (recorded as <c>approval.request</c>); nothing was read.</exception>
    /// <exception cref="AuditUnavailableException">The read could not be recorded: nothing is served (503).</exception>
    public async Task<CredentialValue> ReadOneAsync(AuditContext context, string name, string? subject, UserProof? proof, string? approvalId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        CredentialService.ValidateName(name);
        CredentialService.ValidateSubject(subject);
        var target = Target(name, subject);
        UserProofResult? proven = null;
        CredentialValue? value;
        try
        {
            (caller, proven) = await SubjectProof.ProveAsync(proofs, caller, subject, proof, cancellationToken).ConfigureAwait(false);
            GrantPolicy.DemandCredentialUse(caller, name);
            GrantPolicy.DemandSubject(caller, string.IsNullOrEmpty(subject) ? null : subject, proven: caller.HasProven(subject));
            Approval? approved = null;
            if (approvalId is not null)
            {
                approved = approvals is null
                    ? throw GrantRules.Refuse(GrantRules.ApprovalUnknown, "approvals are not enabled on this broker.")
                    : await approvals.ConsumeAsync(context, approvalId, ApprovalAsk.ForCredential(name, NullIfEmpty(subject)), cancellationToken).ConfigureAwait(false);
                caller = caller with { ApprovalId = approved.Id };
            }

            GrantPolicy.DemandNoApproval(caller, credential: name);
            try
            {
                value = await credentials.ReadForAgentAsync(caller.Tenant, name, subject, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (approved is not null && UnavailableOf(ex) is { } unavailable)
            {
                // The store or the key material failed: nothing was read, so the approval is given back for a retry.
                await approvals!.ReleaseAsync(context, approved, unavailable).ConfigureAwait(false);
                throw;
            }
        }
        catch (GrantRefusedException held) when (held.Rule == GrantRules.ApprovalRequired && approvals is not null)
        {
            throw new ApprovalPendingException(await approvals.RequestAsync(context, ApprovalAsk.ForCredential(name, NullIfEmpty(subject)), cancellationToken).ConfigureAwait(false));
        }
        catch (BrokerOperationException refused) when (refused is GrantRefusedException || proven is null && !string.IsNullOrEmpty(subject))
        {
            // A refusal by a grant, or the user's proof could not be checked (a trusted issuer's keys unavailable: 503).
            await audit.RefuseAsync(context, AuditActions.CredentialRead, target, refused,
                proven is null ? null : AuditReason.For(refused).ToString() + " " + proven.AuditText).ConfigureAwait(false);
            throw;
        }

        if (value is null)
        {
            await audit.RecordAsync(context, AuditActions.CredentialRead, target, AuditOutcomes.Denied, AuditReason.NotFound).ConfigureAwait(false);
            throw NotFound(name);
        }

        await audit.RecordReadAsync(context, target, value.Version, value.Value, proven?.AuditText).ConfigureAwait(false);
        return value;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>A failure of the store or of the key material (a 503: nothing was read), as the refusal the audit names.</summary>
    private static BrokerOperationException? UnavailableOf(Exception ex) => ex switch
    {
        BrokerOperationException { Kind: BrokerErrorKind.Unavailable } unavailable => unavailable,
        Broker.Vault.KeyEncryptionKeyException or Broker.Vault.KeyEncryptionKeyUnavailableException or System.Security.Cryptography.CryptographicException =>
            new BrokerOperationException(BrokerErrorKind.Unavailable, "The key material is unavailable.", ex),
        _ => null,
    };

    /// <summary>The record's target of a credential, with its subject when it has one.</summary>
    public static string Target(string name, string? subject) => string.IsNullOrEmpty(subject) ? name : name + "?subject=" + subject;

    /// <summary>The same refusal for a name that does not exist and a subject that has no value of it.</summary>
    public static BrokerOperationException NotFound(string name) =>
        new(BrokerErrorKind.NotFound, $"No credential '{name}' (for that subject) in this tenant.");

    private async Task<KeyWaitOutcome> WaitAsync(
        Caller caller, IHeldKey key, Task<CredentialChangeEvent> watch, long cursor, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        // A shutdown answers held long-polls at once (304: the client re-polls another replica or later).
        var stoppingToken = lifetime?.ApplicationStopping ?? CancellationToken.None;
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stoppingToken);
        try
        {
            return await key.WaitAsync(token => CredentialChangeSignal.WaitAsync(watch, cursor, caller.MayReadCredential, token), deadline, stopping.Token)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return KeyWaitOutcome.TimedOut;
        }
    }

    private readonly record struct View(IReadOnlyList<CredentialRecord> Changed, IReadOnlyList<string> Removed)
    {
        public bool Empty => Changed.Count == 0 && Removed.Count == 0;

        public static View Of(Caller caller, CredentialChanges changes) =>
            new(changes.Changed.Where(c => c.AgentAccess == CredentialAccess.Read && caller.MayReadCredential(c.Name) && !GrantPolicy.NeedsApproval(caller, credential: c.Name)).ToArray(),
                changes.Removed.Where(caller.MayReadCredential).ToArray());
    }
}
