namespace Broker.Server.Apis;

/// <summary>The <c>source</c> of a PUT: where the value is copied from.</summary>
public sealed record CredentialSourceRequest(AzureKeyVaultSourceRequest? AzureKeyVault);
