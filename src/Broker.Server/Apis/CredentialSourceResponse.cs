using Broker.Credentials;

namespace Broker.Server.Apis;

/// <summary>The <c>source</c> of a sourced credential: <c>{azureKeyVault: {vaultUri, secretName}}</c>.</summary>
public sealed record CredentialSourceResponse(AzureKeyVaultSourceRequest AzureKeyVault)
{
    public static CredentialSourceResponse From(CredentialSource source) => new(new AzureKeyVaultSourceRequest(source.VaultUri, source.SecretName));
}
