namespace Broker.Credentials;

/// <summary>
/// Where a credential's shared value is copied from (<see cref="Kind"/> <c>azureKeyVault</c>: a vault and a secret
/// name) and how its last sync went (<see cref="CredentialSyncStatus"/>, a message without any secret).
/// </summary>
public sealed record CredentialSource(
    string Tenant,
    string Name,
    string Kind,
    string VaultUri,
    string SecretName,
    string? SyncStatus = null,
    DateTimeOffset? LastSyncedAt = null,
    string? SyncError = null)
{
    public const string AzureKeyVault = "azureKeyVault";
}
