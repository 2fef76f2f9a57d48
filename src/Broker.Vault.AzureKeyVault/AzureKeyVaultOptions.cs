using Azure.Security.KeyVault.Secrets;

namespace Broker.Vault.AzureKeyVault;

/// <summary>
/// The <c>Broker:AzureKeyVault</c> section (<c>Broker__AzureKeyVault__X</c>): where the key-encryption key is kept,
/// how the broker authenticates to Key Vault, how the SDK retries, and how often sourced credentials are synced.
/// </summary>
public sealed class AzureKeyVaultOptions
{
    public const string Section = "Broker:AzureKeyVault";

    /// <summary>The vault holding the key-encryption key, e.g. <c>https://my-vault.vault.azure.net/</c>.</summary>
    public string? VaultUri { get; set; }

    /// <summary>The secret holding the key-encryption key (32 random bytes, base64): <c>name</c> or <c>name/version</c> to pin a version.</summary>
    public string? KekSecret { get; set; }

    /// <summary>How often sourced credentials are checked against Key Vault.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait before fetching the key-encryption key again when Key Vault could not be reached at start.</summary>
    public TimeSpan KekRetryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>default</c> (<c>DefaultAzureCredential</c>), <c>client-secret</c> or <c>managed-identity</c>.</summary>
    public string Credential { get; set; } = "default";

    /// <summary>The Entra tenant of <see cref="ClientId"/> (client-secret).</summary>
    public string? TenantId { get; set; }

    /// <summary>The application (client) id: of the app registration (client-secret), or of a user-assigned managed identity.</summary>
    public string? ClientId { get; set; }

    /// <summary>The app registration's client secret (client-secret). Prefer a managed identity where there is one.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Retries of one Key Vault call after a throttled (429, honouring Retry-After), failed or timed-out attempt.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay (exponential back-off from there), unless Retry-After asks for more.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(0.8);

    /// <summary>The longest delay between retries.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>For tests only: allow <c>http://</c> source vault URIs on a loopback address.</summary>
    public bool AllowHttpLoopback { get; set; }

    /// <summary>A hook on every <see cref="SecretClientOptions"/> the broker makes (tests set the transport here); not bound from configuration.</summary>
    public Action<SecretClientOptions>? ConfigureClient { get; set; }
}
