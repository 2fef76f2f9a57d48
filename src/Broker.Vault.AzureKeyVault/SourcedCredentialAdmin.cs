using Broker.Audit;
using Broker.Core;
using Broker.Credentials;

namespace Broker.Vault.AzureKeyVault;

/// <summary>
/// Credentials sourced from Azure Key Vault, as use cases that record themselves: a write with a source copies the
/// secret now and keeps it current; a value written over a synced credential is refused (the next sync would
/// overwrite it); a sync on demand.
/// </summary>
public sealed class SourcedCredentialAdmin(
    CredentialService credentials, ICredentialSourceStore sources, AzureKeyVaultCredentialSync sync, AuditTrail audit, TimeProvider time)
{
    /// <summary>
    /// The part of a credential write that concerns sources: with <paramref name="hasSource"/> the write is made here;
    /// a value for a Key Vault-sourced credential is refused. Null: the write is an ordinary one.
    /// </summary>
    /// <exception cref="ValidationException">A field is invalid, or Key Vault has no such secret (recorded).</exception>
    /// <exception cref="BrokerOperationException">Conflict: a value over a synced credential; PreconditionFailed; Unavailable: Key Vault cannot be reached (recorded).</exception>
    public async Task<CredentialWriteResult?> TryPutAsync(
        AuditContext context, string name, string? subject, string? ifMatch, string? value, string? kind, IReadOnlyDictionary<string, string>? labels,
        string? vaultUri, string? secretName, bool hasSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tenant = context.RequireCaller().Tenant;
        var target = CredentialAdmin.Target(name, subject);
        if (!hasSource)
        {
            if (value is null || !string.IsNullOrEmpty(subject) || !Names.IsValidCredentialName(name) || await sources.GetAsync(tenant, name, cancellationToken).ConfigureAwait(false) is null)
            {
                return null;
            }

            await audit.RecordAsync(context, AuditActions.CredentialWrite, target, AuditOutcomes.Denied, AuditReason.Conflict).ConfigureAwait(false);
            throw new BrokerOperationException(BrokerErrorKind.Conflict, $"'{name}' is synced from Azure Key Vault: change the secret there, or DELETE the credential first.");
        }

        CredentialSource source;
        string fetched;
        int? expected;
        CredentialWriteResult? refused;
        try
        {
            CredentialService.ValidateName(name);
            if (value is not null)
            {
                throw new ValidationException("value", "Give \"value\" or \"source\", not both.");
            }

            if (!string.IsNullOrEmpty(subject))
            {
                throw new ValidationException("subject", "A Key Vault source feeds the shared value: no subject=.");
            }

            source = vaultUri is not null || secretName is not null
                ? sync.Validate(tenant, name, vaultUri, secretName)
                : throw new ValidationException("source", "\"source\" needs \"azureKeyVault\": {\"vaultUri\", \"secretName\"}.");
            expected = CredentialAdmin.ParseIfMatch(ifMatch);
            fetched = await FetchAsync(source, cancellationToken).ConfigureAwait(false);
            refused = await credentials.CheckPutAsync(tenant, name, null, fetched, kind, labels, expected, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.CredentialWrite, target, ex).ConfigureAwait(false);
            throw;
        }

        if (refused is not null)
        {
            await audit.RecordAsync(context, AuditActions.CredentialWrite, target, AuditOutcomes.Denied, CredentialAdmin.PreconditionReason(expected, refused)).ConfigureAwait(false);
            throw CredentialAdmin.PreconditionFailed(refused);
        }

        var result = await audit.ChangeAsync(
            context, tenant, AuditActions.CredentialWrite, target, new AuditReason().Add("source", CredentialSource.AzureKeyVault).ToString(),
            async token =>
            {
                var written = await credentials.PutAsync(tenant, name, null, fetched, kind, labels, expected, token).ConfigureAwait(false);
                if (written.Outcome != CredentialWriteOutcome.PreconditionFailed)
                {
                    await sources.SetAsync(source with { SyncStatus = CredentialSyncStatus.Ok, LastSyncedAt = time.GetUtcNow() }, token).ConfigureAwait(false);
                }

                return written;
            },
            r => r.Outcome == CredentialWriteOutcome.PreconditionFailed ? CredentialAdmin.PreconditionReason(expected, r) : null).ConfigureAwait(false);
        return result.Outcome == CredentialWriteOutcome.PreconditionFailed ? throw CredentialAdmin.PreconditionFailed(result) : result;
    }

    /// <summary>Syncs a Key Vault-sourced credential now; a changed value becomes a new version.</summary>
    /// <exception cref="ValidationException">The name is invalid (recorded).</exception>
    /// <exception cref="BrokerOperationException">NotFound: no credential of that name is synced from Key Vault (recorded).</exception>
    public async Task<(CredentialSource Source, int? Version)> SyncAsync(AuditContext context, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tenant = context.RequireCaller().Tenant;
        var target = AuditTrail.Bounded(name, AuditTrail.MaxTargetLength);
        try
        {
            CredentialService.ValidateName(name);
        }
        catch (ValidationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.CredentialSync, target, ex).ConfigureAwait(false);
            throw;
        }

        if (await sources.GetAsync(tenant, name, cancellationToken).ConfigureAwait(false) is not { } source)
        {
            await audit.RecordAsync(context, AuditActions.CredentialSync, target, AuditOutcomes.Denied, AuditReason.NotFound).ConfigureAwait(false);
            throw new BrokerOperationException(BrokerErrorKind.NotFound, $"No credential '{name}' synced from Key Vault in this tenant.");
        }

        return await audit.ChangeAsync(
            context, tenant, AuditActions.CredentialSync, target, null,
            token => sync.SyncAsync(source, null, token),
            r => r.Source.SyncStatus == CredentialSyncStatus.Error ? AuditReason.Upstream : null).ConfigureAwait(false);
    }

    /// <summary>The source and sync state of a shared value, when it has one.</summary>
    public Task<CredentialSource?> GetSourceAsync(string tenant, string name, CancellationToken cancellationToken = default) =>
        sources.GetAsync(tenant, name, cancellationToken);

    private async Task<string> FetchAsync(CredentialSource source, CancellationToken cancellationToken)
    {
        try
        {
            return await sync.FetchAsync(source, cancellationToken).ConfigureAwait(false);
        }
        catch (CredentialSyncException ex) when (ex.NotFound)
        {
            throw new ValidationException("source.azureKeyVault.secretName", $"Key Vault {new Uri(source.VaultUri).Host} has no secret '{source.SecretName}'.");
        }
        catch (CredentialSyncException ex)
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, ex.Message.Replace("; the last value is still served.", ".", StringComparison.Ordinal));
        }
    }
}
