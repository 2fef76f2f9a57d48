using Broker.Audit;
using Broker.Minting;
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
        var audit = new RecordingAuditLog();
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
            .AddSingleton<IAuditLog>(audit)
            .AddSingleton<IValueHmacKeySource>(new StaticValueHmacKeySource(new byte[32]))
            .AddSingleton<AuditValueHmac>()
            .AddSingleton<AuditTrail>()
            .AddBrokerMinting(configuration);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.Equal(TimeSpan.FromDays(7), provider.GetRequiredService<IOptions<SigningOptions>>().Value.RotationInterval);
        Assert.Equal("eu-west-1", provider.GetRequiredService<IOptions<AwsStsOptions>>().Value.Region);
        Assert.NotNull(provider.GetRequiredService<StsMinter>());
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is SigningKeyMaintenanceService);
        var result = await provider.GetRequiredService<TokenMinter>().MintAsync(TestFixtures.Agent(), new MintTokenRequest("aud", "t"));
        Assert.Equal("http://127.0.0.1:8080", new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(result.Token).Issuer);
        Assert.Equal("http://127.0.0.1:8080", provider.GetRequiredService<JwksProvider>().GetDiscoveryDocument().Issuer);

        // The use case records its own mint, with what was given (never the token).
        var context = new AuditContext(TestFixtures.Agent(), "req-1", "POST /v1/tokens");
        var minted = await provider.GetRequiredService<JitMinting>().MintTokenAsync(context, new MintTokenRequest("aud", "t", Scopes: ["read"]));
        var entry = Assert.Single(audit.Entries);
        Assert.Equal((AuditActions.TokenMint, "aud", AuditOutcomes.Allowed, "req-1"), (entry.Action, entry.Target, entry.Outcome, entry.RequestId));
        Assert.Contains("jti=" + minted.Jti, entry.Reason);
        Assert.Contains("scopes=read", entry.Reason);
        Assert.DoesNotContain(minted.Token, entry.ToString());
    }

    private sealed class RecordingAuditLog : IAuditLog
    {
        public List<AuditEntry> Entries { get; } = [];

        public ValueTask RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
        {
            Entries.Add(entry);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class NoCredentials : IAwsBaseCredentialSource
    {
        public Task<AwsBaseCredential?> GetAsync(string tenant, string credentialName, CancellationToken cancellationToken = default) =>
            Task.FromResult<AwsBaseCredential?>(null);
    }
}
