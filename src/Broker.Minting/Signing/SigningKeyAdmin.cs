using Broker.Audit;
using Broker.Core;

namespace Broker.Minting.Signing;

/// <summary>
/// Rotating and retiring token signing keys, as use cases that record themselves. Signing keys sign for every tenant:
/// only the bootstrap admin key manages them, and a refusal is recorded.
/// </summary>
public sealed class SigningKeyAdmin(SigningKeyManager keys, AuditTrail audit)
{
    /// <summary>Rotates the signing key now; the previous public key stays in JWKS until its tokens have expired.</summary>
    /// <exception cref="BrokerOperationException">Forbidden: not the bootstrap admin key (recorded).</exception>
    public async Task<SigningKeySnapshot> RotateAsync(AuditContext context, CancellationToken cancellationToken = default)
    {
        await DemandBootstrapAsync(context, AuditActions.SigningKeyRotate, "signing-keys").ConfigureAwait(false);
        var snapshot = await keys.RotateAsync(cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(context, AuditActions.SigningKeyRotate, snapshot.Current.Kid).ConfigureAwait(false);
        return snapshot;
    }

    /// <summary>
    /// Retires a compromised signing key at once: it leaves JWKS now and is never trusted again (a current key is
    /// replaced first). Like a key revoke, applied even when the audit trail is down.
    /// </summary>
    /// <exception cref="BrokerOperationException">Forbidden: not the bootstrap admin key; NotFound: no such kid (both recorded).</exception>
    public async Task<SigningKeySnapshot> RetireAsync(AuditContext context, string kid, CancellationToken cancellationToken = default)
    {
        var target = AuditTrail.Bounded(kid);
        await DemandBootstrapAsync(context, AuditActions.SigningKeyRetire, target).ConfigureAwait(false);
        var snapshot = await keys.RetireNowAsync(kid, cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            await audit.RecordAsync(context, AuditActions.SigningKeyRetire, target, AuditOutcomes.Denied, "unknown_kid").ConfigureAwait(false);
            throw new BrokerOperationException(BrokerErrorKind.NotFound, "No signing key with that kid.");
        }

        await audit.RecordAsync(context, AuditActions.SigningKeyRetire, target, AuditOutcomes.Allowed, "current=" + snapshot.Current.Kid).ConfigureAwait(false);
        return snapshot;
    }

    private async Task DemandBootstrapAsync(AuditContext context, string action, string target)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            BootstrapRule.Demand(context.RequireCaller(), BootstrapRule.ManageSigningKeys);
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, action, target, ex, BootstrapRule.Reason).ConfigureAwait(false);
            throw;
        }
    }
}
