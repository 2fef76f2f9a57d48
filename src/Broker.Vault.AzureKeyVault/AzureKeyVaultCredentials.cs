using Azure.Core;
using Azure.Identity;

namespace Broker.Vault.AzureKeyVault;

/// <summary>The broker's identity towards Key Vault, from <see cref="AzureKeyVaultOptions.Credential"/>.</summary>
public static class AzureKeyVaultCredentials
{
    /// <exception cref="InvalidOperationException">The settings name an unknown mode or lack what the mode needs (the message names the setting, never its value).</exception>
    public static TokenCredential Create(AzureKeyVaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Credential.Trim().ToLowerInvariant())
        {
            case "default":
                return options.ClientId is { Length: > 0 } id
                    ? new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = id })
                    : new DefaultAzureCredential();
            case "client-secret":
                if (string.IsNullOrWhiteSpace(options.TenantId) || string.IsNullOrWhiteSpace(options.ClientId) || string.IsNullOrWhiteSpace(options.ClientSecret))
                {
                    throw new InvalidOperationException("Broker:AzureKeyVault:Credential is 'client-secret' but TenantId, ClientId or ClientSecret is not set.");
                }

                return new ClientSecretCredential(options.TenantId, options.ClientId, options.ClientSecret);
            case "managed-identity":
                return options.ClientId is { Length: > 0 } clientId
                    ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                    : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
            default:
                throw new InvalidOperationException("Broker:AzureKeyVault:Credential must be 'default', 'client-secret' or 'managed-identity'.");
        }
    }
}
