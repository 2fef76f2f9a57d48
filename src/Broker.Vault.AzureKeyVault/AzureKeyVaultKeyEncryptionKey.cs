using Azure;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Options;

namespace Broker.Vault.AzureKeyVault;

/// <summary>
/// The key-encryption key kept in Azure Key Vault as a secret (32 random bytes, base64), read at start and held
/// in memory only. Its id, stored beside every data key it wraps, is <c>akv:{secret}/{version}</c>. Without a
/// pinned version the broker keeps using the version the store's key-check value was sealed with, so a new version
/// in Key Vault changes nothing until <c>rewrap</c> moves every data key to it.
/// </summary>
public sealed class AzureKeyVaultKeyEncryptionKey(AzureKeyVaultClients clients, IVaultCanaryStore canaryStore, IOptions<AzureKeyVaultOptions> options)
    : IKeyEncryptionKey, IKeyEncryptionKeyLoader, IKeyEncryptionKeyVersions, IDisposable
{
    public const string IdPrefix = "akv:";

    private KeyVaultSecretVersion? _current;

    public string Id => Current.Id;

    /// <summary>Where the key is kept, for messages: the vault's host and the secret's name.</summary>
    public string Location => $"{Settings().Vault.Host}/{Settings().Name}";

    private KeyVaultSecretVersion Current => Volatile.Read(ref _current)
        ?? throw new KeyEncryptionKeyException("The key-encryption key has not been fetched from Azure Key Vault yet (see /readyz); the broker keeps retrying.");

    public static string IdFor(string secretName, string version) => $"{IdPrefix}{secretName}/{version}";

    public byte[] Wrap(ReadOnlySpan<byte> dataKey) => Current.Wrap(dataKey);

    public byte[] Unwrap(ReadOnlySpan<byte> wrappedKey) => Current.Unwrap(wrappedKey);

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        var (_, name, pinned) = Settings();
        var version = pinned;
        if (version is null && await canaryStore.GetCanaryAsync(cancellationToken).ConfigureAwait(false) is { } canary
            && canary.KekId.StartsWith(IdPrefix + name + "/", StringComparison.Ordinal))
        {
            version = canary.KekId[(IdPrefix.Length + name.Length + 1)..];
        }

        var loaded = await FetchAsync(version, cancellationToken).ConfigureAwait(false);
        if (Interlocked.CompareExchange(ref _current, loaded, null) is not null)
        {
            // Loaded already (the start and the retry raced): the key in use stays.
            loaded.Dispose();
        }
    }

    public async Task<IKeyEncryptionKey> GetNewestAsync(CancellationToken cancellationToken = default) =>
        await FetchAsync(Settings().Version, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyDictionary<string, IKeyEncryptionKey>> GetAllAsync(CancellationToken cancellationToken = default)
    {
        var (vault, name, _) = Settings();
        var all = new Dictionary<string, IKeyEncryptionKey>(StringComparer.Ordinal);
        await Call(vault, async () =>
        {
            await foreach (var properties in clients.For(vault).GetPropertiesOfSecretVersionsAsync(name, cancellationToken).ConfigureAwait(false))
            {
                if (properties.Enabled != false && properties.Version is { } version)
                {
                    var key = await FetchAsync(version, cancellationToken).ConfigureAwait(false);
                    all[key.Id] = key;
                }
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
        return all;
    }

    public void Dispose() => Interlocked.Exchange(ref _current, null)?.Dispose();

    private async Task<KeyVaultSecretVersion> FetchAsync(string? version, CancellationToken cancellationToken)
    {
        var (vault, name, _) = Settings();
        var secret = await Call(vault, async () =>
        {
            try
            {
                return (await clients.For(vault).GetSecretAsync(name, version, cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                throw new KeyEncryptionKeyException(version is null
                    ? $"Azure Key Vault {vault.Host} has no secret '{name}' (Broker:AzureKeyVault:KekSecret)."
                    : $"Azure Key Vault {vault.Host} has no version {version} of secret '{name}': the store was sealed with it (or Broker:AzureKeyVault:KekSecret pins it).", ex);
            }
        }, cancellationToken).ConfigureAwait(false);
        return KeyVaultSecretVersion.From(name, secret.Properties.Version, secret.Value ?? "");
    }

    /// <summary>Runs a Key Vault call, turning what says "not now" (unreachable, throttled past the retries, refused) into <see cref="KeyEncryptionKeyUnavailableException"/>.</summary>
    private static async Task<T> Call<T>(Uri vault, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && KeyVaultErrors.IsTransient(ex))
        {
            throw new KeyEncryptionKeyUnavailableException(
                $"The key-encryption key cannot be fetched from Azure Key Vault {vault.Host}: {KeyVaultErrors.Describe(ex)}.", ex);
        }
    }

    private (Uri Vault, string Name, string? Version) Settings()
    {
        var o = options.Value;
        if (!Uri.TryCreate(o.VaultUri, UriKind.Absolute, out var vault) || vault.Scheme != Uri.UriSchemeHttps)
        {
            throw new KeyEncryptionKeyException("Broker:AzureKeyVault:VaultUri must be the vault's https:// address.");
        }

        var parts = (o.KekSecret ?? "").Trim().Split('/');
        if (parts.Length > 2 || !KeyVaultNames.IsValidSecretName(parts[0]) || (parts.Length == 2 && !KeyVaultNames.IsValidVersion(parts[1])))
        {
            throw new KeyEncryptionKeyException("Broker:AzureKeyVault:KekSecret must be a Key Vault secret name (1-127 letters, digits, '-'), optionally followed by '/' and a version.");
        }

        return (vault, parts[0], parts.Length == 2 ? parts[1] : null);
    }
}
