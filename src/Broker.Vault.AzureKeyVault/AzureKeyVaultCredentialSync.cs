using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Broker.Audit;
using Broker.Core;
using Broker.Credentials;
using Microsoft.Extensions.Options;

namespace Broker.Vault.AzureKeyVault;

/// <summary>
/// Credentials copied from Key Vault secrets: validates a source, fetches a secret's current value, and syncs a
/// sourced credential. A changed value becomes a new version through <see cref="CredentialService.PutAsync"/> (so the
/// change signal fires and agents get it through their feed), conditional on the version the sync read, so replicas
/// syncing the same credential never add the same value twice. A failed fetch keeps the last value served and
/// records <c>syncStatus: error</c> with the time and a message that holds no secret.
/// </summary>
public sealed class AzureKeyVaultCredentialSync(
    AzureKeyVaultClients clients,
    CredentialService credentials,
    ICredentialSourceStore sources,
    TimeProvider time,
    IOptions<AzureKeyVaultOptions> options)
{
    /// <summary>
    /// Checks a source: an https vault address without credentials, query or fragment (http on loopback only with
    /// <see cref="AzureKeyVaultOptions.AllowHttpLoopback"/>), and a secret name by Key Vault's rules.
    /// </summary>
    /// <exception cref="ValidationException">The address or the name is invalid.</exception>
    public CredentialSource Validate(string tenant, string name, string? vaultUri, string? secretName)
    {
        if (!Uri.TryCreate(vaultUri, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || uri.AbsolutePath != "/" || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback && options.Value.AllowHttpLoopback)))
        {
            throw new ValidationException("source.azureKeyVault.vaultUri", "\"vaultUri\" must be a vault's https:// address, e.g. https://my-vault.vault.azure.net/.");
        }

        if (!KeyVaultNames.IsValidSecretName(secretName))
        {
            throw new ValidationException("source.azureKeyVault.secretName", "\"secretName\" must be 1 to 127 letters, digits and dashes.");
        }

        return new CredentialSource(tenant, name, CredentialSource.AzureKeyVault, uri.GetLeftPart(UriPartial.Authority) + "/", secretName);
    }

    /// <summary>The secret's current value.</summary>
    /// <exception cref="CredentialSyncException">Key Vault has no such secret, or cannot be reached, or refuses.</exception>
    public async Task<string> FetchAsync(CredentialSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var vault = new Uri(source.VaultUri);
        try
        {
            var secret = await clients.For(vault).GetSecretAsync(source.SecretName, cancellationToken: cancellationToken).ConfigureAwait(false);
            return secret.Value.Value ?? "";
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            throw new CredentialSyncException($"Secret '{source.SecretName}' is deleted in Key Vault {vault.Host} (HTTP 404); the last value is still served.", notFound: true, ex);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && KeyVaultErrors.IsTransient(ex))
        {
            throw new CredentialSyncException($"Azure Key Vault {vault.Host}: {KeyVaultErrors.Describe(ex)}; the last value is still served.", notFound: false, ex);
        }
    }

    /// <summary>
    /// Syncs one sourced credential now and records how it went. <paramref name="beforeWrite"/> runs once a new value
    /// is about to be written (the caller records its audit intent there; throwing stops the write).
    /// </summary>
    /// <returns>The source with its new sync state, and the credential's version after the sync (null when it no longer exists).</returns>
    public async Task<(CredentialSource Source, int? Version)> SyncAsync(
        CredentialSource source, Func<CancellationToken, ValueTask>? beforeWrite = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        string value;
        try
        {
            value = await FetchAsync(source, cancellationToken).ConfigureAwait(false);
        }
        catch (CredentialSyncException ex)
        {
            return (await RecordAsync(source, CredentialSyncStatus.Error, ex.Message, cancellationToken).ConfigureAwait(false),
                (await credentials.ReadAsync(source.Tenant, source.Name, null, cancellationToken).ConfigureAwait(false))?.Version);
        }

        var current = await credentials.ReadAsync(source.Tenant, source.Name, null, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            // Deleted meanwhile: its source went with it.
            return (source, null);
        }

        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(current.Value), Encoding.UTF8.GetBytes(value)))
        {
            return (await RecordAsync(source, CredentialSyncStatus.Ok, null, cancellationToken).ConfigureAwait(false), current.Version);
        }

        if (beforeWrite is not null)
        {
            await beforeWrite(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // Conditional on the version read: a replica that wrote first makes this a 412, never a second version.
            var result = await credentials.PutAsync(source.Tenant, source.Name, null, value, null, null, current.Version, cancellationToken).ConfigureAwait(false);
            return (await RecordAsync(source, CredentialSyncStatus.Ok, null, cancellationToken).ConfigureAwait(false), result.Credential?.Version ?? current.Version);
        }
        catch (ValidationException ex)
        {
            var why = string.Join(" ", ex.Errors.SelectMany(e => e.Value));
            return (await RecordAsync(source, CredentialSyncStatus.Error, $"The value in Key Vault is not valid for this credential ({why}); the last value is still served.", cancellationToken).ConfigureAwait(false),
                current.Version);
        }
    }

    private async Task<CredentialSource> RecordAsync(CredentialSource source, string status, string? error, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await sources.RecordSyncAsync(source.Tenant, source.Name, status, now, error, cancellationToken).ConfigureAwait(false);
        return source with { SyncStatus = status, LastSyncedAt = now, SyncError = error };
    }
}
