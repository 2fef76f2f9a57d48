using System.Text.Json.Nodes;

namespace Broker.Server.Tests;

/// <summary>The OpenAPI document names the bearer scheme and requires it exactly where a route needs a key.</summary>
public sealed class OpenApiTests
{
    [Fact]
    public async Task OpenApiDocument_HasTheBearerScheme_RequiredOnProtectedRoutes_AndNotOnHealthOrDiscovery()
    {
        using var app = new BrokerApp();
        using var client = app.CreateClient();

        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;

        var scheme = document["components"]!["securitySchemes"]!["bearer"]!;
        Assert.Equal("http", scheme["type"]!.GetValue<string>());
        Assert.Equal("bearer", scheme["scheme"]!.GetValue<string>());
        Assert.Null(document["security"]);
        var paths = document["paths"]!.AsObject();
        foreach (var (path, method) in new[] { ("/v1/credentials/{name}", "put"), ("/v1/agent/credentials/{name}", "get"), ("/v1/keys/{id}/revoke", "post"), ("/v1/tokens", "post"), ("/v1/audit/verify", "get") })
        {
            var security = paths[path]?[method]?["security"]?.AsArray();
            Assert.True(security is not null, $"{method} {path} has no security requirement");
            Assert.NotNull(Assert.Single(security)!["bearer"]);
        }

        var open = paths.Where(p => p.Key is "/healthz" or "/readyz" || p.Key.StartsWith("/.well-known/", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, open.Count); // health, readiness, jwks, openid-configuration, audit-keys
        foreach (var (path, item) in open)
        {
            Assert.All(item!.AsObject(), operation => Assert.True(operation.Value?["security"] is null, $"{operation.Key} {path} requires a key"));
        }
    }
}
