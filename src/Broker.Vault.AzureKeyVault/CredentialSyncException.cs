namespace Broker.Vault.AzureKeyVault;

/// <summary>A sourced credential's value could not be fetched from Key Vault; the message holds no secret.</summary>
public sealed class CredentialSyncException(string message, bool notFound, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Key Vault answered 404: the secret is deleted (or never existed).</summary>
    public bool NotFound { get; } = notFound;
}
