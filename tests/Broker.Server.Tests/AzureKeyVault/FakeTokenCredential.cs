using Azure.Core;

namespace Broker.Server.Tests.AzureKeyVault;

/// <summary>Hands out <see cref="FakeKeyVault.AccessToken"/> for the Key Vault scope the challenge names, and nothing else.</summary>
internal sealed class FakeTokenCredential : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        requestContext.Scopes.SequenceEqual(["https://vault.azure.net/.default"])
            ? new AccessToken(FakeKeyVault.AccessToken, DateTimeOffset.UtcNow.AddHours(1))
            : throw new InvalidOperationException("unexpected scope " + string.Join(' ', requestContext.Scopes));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
