using System.Collections.Concurrent;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Options;

namespace Broker.Vault.AzureKeyVault;

/// <summary>
/// One <see cref="SecretClient"/> per vault, sharing the broker's <see cref="TokenCredential"/> and the SDK's retry
/// options from <see cref="AzureKeyVaultOptions"/> (throttled answers are retried after their Retry-After).
/// </summary>
public sealed class AzureKeyVaultClients(TokenCredential credential, IOptions<AzureKeyVaultOptions> options)
{
    private readonly ConcurrentDictionary<Uri, SecretClient> _clients = new();

    public SecretClient For(Uri vaultUri) => _clients.GetOrAdd(vaultUri, Create);

    private SecretClient Create(Uri vaultUri)
    {
        var o = options.Value;
        var clientOptions = new SecretClientOptions();
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.MaxRetries = o.MaxRetries;
        clientOptions.Retry.Delay = o.RetryDelay;
        clientOptions.Retry.MaxDelay = o.MaxRetryDelay;
        clientOptions.Retry.NetworkTimeout = o.NetworkTimeout;

        // Request and response bodies hold secret values: never logged, whatever the log level.
        clientOptions.Diagnostics.IsLoggingContentEnabled = false;
        o.ConfigureClient?.Invoke(clientOptions);
        return new SecretClient(vaultUri, credential, clientOptions);
    }
}
