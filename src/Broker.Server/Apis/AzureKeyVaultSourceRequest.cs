namespace Broker.Server.Apis;

public sealed record AzureKeyVaultSourceRequest(string? VaultUri, string? SecretName);
