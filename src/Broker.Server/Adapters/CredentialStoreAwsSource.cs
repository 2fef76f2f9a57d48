using Broker.Credentials;
using Broker.Minting.Sts;
using Broker.Server.Hosting;

namespace Broker.Server.Adapters;

/// <summary>Adapts the credential vault to the STS minter: the decrypted shared value of an <c>aws</c> credential.</summary>
public sealed class CredentialStoreAwsSource(CredentialService credentials) : IAwsBaseCredentialSource
{
    public async Task<AwsBaseCredential?> GetAsync(string tenant, string credentialName, CancellationToken cancellationToken = default)
    {
        var value = await credentials.ReadAsync(tenant, credentialName, null, cancellationToken);
        if (value is null || value.Kind != CredentialKinds.Aws)
        {
            return null;
        }

        var aws = AwsCredentialValue.Parse(value.Value);
        return new AwsBaseCredential(aws.AccessKeyId, aws.SecretAccessKey, aws.RoleArn);
    }
}
