using Broker.Minting.Signing;
using Broker.Minting.Sts;
using Broker.Minting.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Broker.Minting.Tests;

public sealed class ServiceCollectionTests
{
    [Fact]
    public async Task AddBrokerMinting_BindsOptions_AndResolvesEverything()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Broker:Issuer"] = "http://127.0.0.1:8080/",
            ["Broker:Signing:RotationInterval"] = "7.00:00:00",
            ["Broker:Aws:ServiceUrl"] = "http://127.0.0.1:4566",
            ["Broker:Aws:Region"] = "eu-west-1",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddSingleton(TestFixtures.NewEncryption())
            .AddSingleton<IAwsBaseCredentialSource>(new NoCredentials())
            .AddInMemorySigningKeyStore()
            .AddBrokerMinting(configuration);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.Equal(TimeSpan.FromDays(7), provider.GetRequiredService<IOptions<SigningOptions>>().Value.RotationInterval);
        Assert.Equal("eu-west-1", provider.GetRequiredService<IOptions<AwsStsOptions>>().Value.Region);
        Assert.NotNull(provider.GetRequiredService<StsMinter>());
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is SigningKeyMaintenanceService);
        var result = await provider.GetRequiredService<TokenMinter>().MintAsync(TestFixtures.Agent(), new MintTokenRequest("aud", "t"));
        Assert.Equal("http://127.0.0.1:8080", new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(result.Token).Issuer);
        Assert.Equal("http://127.0.0.1:8080", provider.GetRequiredService<JwksProvider>().GetDiscoveryDocument().Issuer);
    }

    private sealed class NoCredentials : IAwsBaseCredentialSource
    {
        public Task<AwsBaseCredential?> GetAsync(string tenant, string credentialName, CancellationToken cancellationToken = default) =>
            Task.FromResult<AwsBaseCredential?>(null);
    }
}
