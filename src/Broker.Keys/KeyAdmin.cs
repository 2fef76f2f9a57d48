using Broker.Audit;
using Broker.Core;

namespace Broker.Keys;

/// <summary>
/// What admins, responders and agents do with inbound keys, as use cases that record themselves: each is checked
/// first (a refusal is recorded and changes nothing), then made fail closed (create, rotate) or applied whatever the
/// trail's state and recorded after (revoke: refusing it would keep a key alive; the answer is then 503 and the
/// revoke stands).
/// </summary>
public sealed class KeyAdmin(KeyService keys, AuditTrail audit, AuditQueries queries)
{
    /// <summary>How many recent uses a leaked-key report lists.</summary>
    public const int LeakedReportSize = 50;

    /// <summary>Issues a key; its secret is returned once.</summary>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    /// <exception cref="BrokerOperationException">Forbidden: another tenant without the bootstrap admin key.</exception>
    public async Task<IssuedKey> CreateAsync(AuditContext context, CreateKeyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var caller = context.RequireCaller();
        var target = "name=" + AuditTrail.Bounded(request.Name);
        string tenant;
        try
        {
            tenant = keys.Validate(caller, request).Tenant;
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.KeyCreate, target, ex, ex.Kind == BrokerErrorKind.Forbidden ? "other_tenant" : null).ConfigureAwait(false);
            throw;
        }

        // Recorded before the key exists (fail closed); the target names the key, its id is in the response.
        return await audit.ChangeAsync(
            context, tenant, AuditActions.KeyCreate, target, new AuditReason().Add("role", request.Role).ToString(),
            token => keys.CreateAsync(caller, request, token)).ConfigureAwait(false);
    }

    /// <summary>Revokes a key: once this returns, no request with it succeeds, on any replica.</summary>
    /// <exception cref="BrokerOperationException">Forbidden: the bootstrap admin key, by another key; NotFound.</exception>
    public async Task<ApiKeyRecord> RevokeAsync(AuditContext context, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        ApiKeyRecord? revoked;
        try
        {
            // Once begun it ends and is recorded even if the client goes away.
            revoked = await keys.RevokeAsync(caller, id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BrokerOperationException ex) when (ex.Kind == BrokerErrorKind.Forbidden)
        {
            await audit.RefuseAsync(context, AuditActions.KeyRevoke, AuditTrail.Bounded(id), ex, BootstrapRule.Reason).ConfigureAwait(false);
            throw;
        }

        if (revoked is null)
        {
            await audit.RecordAsync(context, AuditActions.KeyRevoke, AuditTrail.Bounded(id), AuditOutcomes.Denied, AuditReason.NotFound).ConfigureAwait(false);
            throw KeyNotFound();
        }

        await audit.RecordMadeAsync(context, AuditActions.KeyRevoke, revoked.Id).ConfigureAwait(false);
        return revoked;
    }

    /// <summary>Revokes the key a leaked value belongs to (in the caller's tenant) and reports where it was used lately.</summary>
    /// <exception cref="ValidationException">No value.</exception>
    /// <exception cref="BrokerOperationException">NotFound: the value matches no key of this tenant.</exception>
    public async Task<LeakedKeyReport> RevokeLeakedAsync(AuditContext context, string? presented, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        ApiKeyRecord? revoked;
        try
        {
            revoked = await keys.RevokeLeakedAsync(caller, presented, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ValidationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.KeyRevokeLeaked, "unmatched", ex).ConfigureAwait(false);
            throw;
        }

        if (revoked is null)
        {
            await audit.RecordAsync(context, AuditActions.KeyRevokeLeaked, "unmatched", AuditOutcomes.Denied, AuditReason.NotFound).ConfigureAwait(false);
            throw new BrokerOperationException(BrokerErrorKind.NotFound, "The value matches no key of this tenant.");
        }

        await audit.RecordMadeAsync(context, AuditActions.KeyRevokeLeaked, revoked.Id).ConfigureAwait(false);
        var recent = await queries.RecentByKeyAsync(caller.Tenant, revoked.Id, LeakedReportSize, cancellationToken).ConfigureAwait(false);
        return new LeakedKeyReport(revoked, recent);
    }

    /// <summary>Issues a new secret for a key; the old one works for <paramref name="graceSeconds"/>.</summary>
    /// <exception cref="ValidationException">The grace is out of range.</exception>
    /// <exception cref="BrokerOperationException">Forbidden: the bootstrap admin key, by another key; Conflict: not active; NotFound.</exception>
    public async Task<IssuedKey> RotateAsync(AuditContext context, string id, int? graceSeconds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        var target = AuditTrail.Bounded(id);
        ApiKeyRecord? existing;
        try
        {
            existing = await keys.CheckRotateAsync(caller, id, graceSeconds, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.KeyRotate, target, ex, ex.Kind == BrokerErrorKind.Forbidden ? BootstrapRule.Reason : null).ConfigureAwait(false);
            throw;
        }

        if (existing is null)
        {
            await audit.RecordAsync(context, AuditActions.KeyRotate, target, AuditOutcomes.Denied, AuditReason.NotFound).ConfigureAwait(false);
            throw KeyNotFound();
        }

        // Fail closed: the new secret exists only once the rotation's record is durable. A key revoked or gone since
        // the check is refused by the store, and a second record says so.
        var issued = await audit.ChangeAsync(
            context, caller.Tenant, AuditActions.KeyRotate, target, new AuditReason().Add("grace", graceSeconds ?? 0).ToString(),
            token => keys.RotateAsync(caller, id, graceSeconds, token),
            i => i is null ? AuditReason.NotFound : null).ConfigureAwait(false);
        return issued ?? throw KeyNotFound();
    }

    /// <summary>
    /// Changes what a key may do; a narrowing holds before this returns, on every replica. Recorded before the change
    /// (fail closed) with the fields it changes (never their values beyond names and numbers).
    /// </summary>
    /// <exception cref="ValidationException">A field is invalid (recorded).</exception>
    /// <exception cref="BrokerOperationException">Forbidden: the bootstrap admin key, by another key; NotFound (both recorded).</exception>
    public async Task<ApiKeyRecord> UpdateAsync(AuditContext context, string id, PatchKeyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var caller = context.RequireCaller();
        var target = AuditTrail.Bounded(id);
        ApiKeyRecord? existing;
        try
        {
            existing = await keys.CheckUpdateAsync(caller, id, request, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.KeyUpdate, target, ex, ex.Kind == BrokerErrorKind.Forbidden ? BootstrapRule.Reason : null).ConfigureAwait(false);
            throw;
        }

        if (existing is null)
        {
            await audit.RecordAsync(context, AuditActions.KeyUpdate, target, AuditOutcomes.Denied, AuditReason.NotFound).ConfigureAwait(false);
            throw KeyNotFound();
        }

        var changed = new AuditReason().AddList("fields", ChangedFields(request));
        var updated = await audit.ChangeAsync(
            context, caller.Tenant, AuditActions.KeyUpdate, target, changed.ToString(),
            token => keys.UpdateAsync(caller, id, request, token),
            k => k is null ? AuditReason.NotFound : null).ConfigureAwait(false);
        return updated ?? throw KeyNotFound();
    }

    private static IEnumerable<string> ChangedFields(PatchKeyRequest r)
    {
        var fields = new (string Name, bool Given)[]
        {
            ("credentials", r.Credentials is not null), ("agents", r.Agents is not null), ("tokens", r.Tokens is not null), ("sts", r.Sts is not null),
            ("subjects", r.Subjects is not null), ("approval", r.Approval is not null), ("verifyAs", r.VerifyAs is not null),
            ("rateLimitPerMinute", r.RateLimitPerMinute is not null), ("quotaPerDay", r.QuotaPerDay is not null), ("expiresAt", r.ExpiresAt is not null),
        };
        return fields.Where(f => f.Given).Select(f => f.Name);
    }

    /// <summary>
    /// An agent checks one of its callers' keys (for itself, or another agent name its <c>verifyAs</c> grant allows);
    /// every answer is recorded, a valid one before it leaves.
    /// </summary>
    /// <exception cref="ValidationException">No key, or an invalid agent name.</exception>
    /// <exception cref="BrokerOperationException">Forbidden (<see cref="KeyService.VerifyAsRule"/>), recorded; nothing of the presented key is read.</exception>
    public async Task<InboundVerification> VerifyInboundAsync(AuditContext context, string? presented, string? agentName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        InboundVerification result;
        try
        {
            result = await keys.VerifyInboundAsync(context.RequireCaller(), presented, agentName, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokerOperationException ex) when (ex.Kind == BrokerErrorKind.Forbidden)
        {
            // Refused before the presented key is looked at: nothing about it is recorded, and it is not counted.
            await audit.RefuseAsync(context, AuditActions.InboundVerify, "agent=" + AuditTrail.Bounded(agentName), ex, KeyService.VerifyAsRule).ConfigureAwait(false);
            throw;
        }

        await audit.RecordAsync(context, AuditActions.InboundVerify, result.Key?.Id ?? "unknown", result.Valid ? AuditOutcomes.Allowed : AuditOutcomes.Denied, result.Reason)
            .ConfigureAwait(false);
        return result;
    }

    private static BrokerOperationException KeyNotFound() => new(BrokerErrorKind.NotFound, "No key with that id in this tenant.");
}
