using Azure;
using Azure.Identity;

namespace Broker.Vault.AzureKeyVault;

/// <summary>What a failed Key Vault call means, in words that hold no secret (never the response body).</summary>
internal static class KeyVaultErrors
{
    /// <summary>A failure a later attempt may not meet: unreachable, throttled past the SDK's retries, a server error, authentication refused.</summary>
    public static bool IsTransient(Exception ex) =>
        ex is RequestFailedException or AuthenticationFailedException or AggregateException or TaskCanceledException or TimeoutException or HttpRequestException;

    public static string Describe(Exception ex) => ex switch
    {
        RequestFailedException { Status: 0 } => "unreachable",
        RequestFailedException { Status: 429 } => "throttled (HTTP 429) after the retries",
        RequestFailedException r when r.ErrorCode is { Length: > 0 } code => $"HTTP {r.Status} ({Bounded(code)})",
        RequestFailedException r => $"HTTP {r.Status}",
        CredentialUnavailableException => "no Azure credential is available (Broker:AzureKeyVault:Credential)",
        AuthenticationFailedException => "authentication to Microsoft Entra ID failed",
        AggregateException or HttpRequestException => "unreachable after the retries",
        _ => "timed out",
    };

    private static string Bounded(string code) => code.Length > 64 ? code[..64] : code;
}
