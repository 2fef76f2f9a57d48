using System.Text.Json.Nodes;
using Broker.Server.Commands;
using Broker.Server.Hosting;

namespace Broker.Server.Tests;

/// <summary>A broker listening on every interface (a container) never announces 0.0.0.0 as its issuer.</summary>
public sealed class ListenUrlTests
{
    [Theory]
    [InlineData("http://0.0.0.0:8080", "http://localhost:8080")]
    [InlineData("http://+:8080", "http://localhost:8080")]
    [InlineData("http://*:8080", "http://localhost:8080")]
    [InlineData("http://[::]:8080", "http://localhost:8080")]
    [InlineData("http://0.0.0.0:8080;https://0.0.0.0:8443", "http://localhost:8080")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080")]
    [InlineData("https://broker.example.com", "https://broker.example.com")]
    public void DefaultIssuer_ReplacesAWildcardHostWithLocalhost(string urls, string issuer) => Assert.Equal(issuer, ListenUrl.DefaultIssuer(urls));

    [Theory]
    [InlineData(null, "http://127.0.0.1:8080")]
    [InlineData("http://0.0.0.0:8080", "http://127.0.0.1:8080")]
    [InlineData("https://+:8443;http://+:9000", "http://127.0.0.1:9000")]
    [InlineData("http://10.1.2.3:8080", "http://10.1.2.3:8080")]
    public void Healthcheck_ReachesTheBrokerOnThisMachine(string? urls, string expected) => Assert.Equal(expected, HealthcheckCommand.LocalUrl(urls));

    [Fact]
    public async Task ListeningOnEveryInterface_WithoutAnIssuer_AnnouncesLocalhost()
    {
        using var app = new BrokerApp(settings: new() { ["urls"] = "http://0.0.0.0:8080" });
        using var client = app.ClientWith(null);
        var discovery = JsonNode.Parse(await client.GetStringAsync("/.well-known/openid-configuration"))!;
        Assert.Equal("http://localhost:8080", discovery["issuer"]!.GetValue<string>());
    }

    [Fact]
    public async Task ConfiguredIssuer_WinsOverTheListeningUrl()
    {
        using var app = new BrokerApp(settings: new() { ["urls"] = "http://0.0.0.0:8080", ["Broker:Issuer"] = "https://broker.example.com" });
        using var client = app.ClientWith(null);
        var discovery = JsonNode.Parse(await client.GetStringAsync("/.well-known/openid-configuration"))!;
        Assert.Equal("https://broker.example.com", discovery["issuer"]!.GetValue<string>());
    }
}
