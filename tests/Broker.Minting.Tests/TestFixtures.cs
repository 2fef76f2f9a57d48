using System.Net;
using System.Security.Cryptography;
using Broker.Core;
using Broker.Core.Grants;
using Broker.Minting.Signing;
using Broker.Minting.Tokens;
using Broker.Vault;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Minting.Tests;

internal static class TestFixtures
{
    public static EnvelopeEncryption NewEncryption() => new(new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32)));

    public static Caller Agent(string name = "agent-1", string tenant = "default", params string[] credentials) =>
        new("key-" + name, name, Role.Agent, tenant, false, credentials.Length == 0 ? ["*"] : credentials, [], Grants: AgentGrants.Legacy);

    public static SigningOptions Options(TimeSpan? rotation = null) => new()
    {
        RotationInterval = rotation ?? TimeSpan.FromDays(30),
        RefreshInterval = TimeSpan.FromMinutes(1),
        RetirementMargin = TimeSpan.FromMinutes(10),
    };

    public static SigningKeyManager Manager(ISigningKeyStore store, EnvelopeEncryption encryption, TimeProvider time, SigningOptions? options = null) =>
        new(store, encryption, Microsoft.Extensions.Options.Options.Create(options ?? Options()), time, NullLogger<SigningKeyManager>.Instance);
}

/// <summary>A signing key manager, minter and JWKS provider on one fake clock.</summary>
internal sealed class MintingRig : IDisposable
{
    public MintingRig(DateTimeOffset? start = null, SigningOptions? options = null, string issuer = "https://broker.test")
    {
        Time = new FakeTimeProvider(start ?? DateTimeOffset.UtcNow);
        Store = new InMemorySigningKeyStore();
        Encryption = TestFixtures.NewEncryption();
        Keys = TestFixtures.Manager(Store, Encryption, Time, options);
        TokenOptions = new TokenOptions { Issuer = issuer };
        Minter = new TokenMinter(Keys, Microsoft.Extensions.Options.Options.Create(TokenOptions), Time);
        Jwks = new JwksProvider(Keys, Microsoft.Extensions.Options.Options.Create(TokenOptions));
    }

    public FakeTimeProvider Time { get; }

    public InMemorySigningKeyStore Store { get; }

    public EnvelopeEncryption Encryption { get; }

    public SigningKeyManager Keys { get; }

    public TokenOptions TokenOptions { get; }

    public TokenMinter Minter { get; }

    public JwksProvider Jwks { get; }

    public ValueTask<TokenResult> MintAsync(string audience = "https://api.example", int? ttl = null, string? onBehalfOf = null, Caller? caller = null) =>
        Minter.MintAsync(caller ?? TestFixtures.Agent(), new MintTokenRequest(audience, "task-7", ["read", "write"], ttl, onBehalfOf));

    public void Dispose() => Keys.Dispose();
}

/// <summary>A Kestrel app on 127.0.0.1 with an ephemeral port.</summary>
internal sealed class TestWebServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestWebServer(WebApplication app, string baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public string BaseAddress { get; }

    public static async Task<TestWebServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestWebServer(app, address.TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
