using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.Console.Tests;

/// <summary>
/// The real broker (<c>Program</c>) on Kestrel at a free loopback port, on a SQLite file in a fresh temp directory,
/// with a known bootstrap admin key: what a browser talks to.
/// </summary>
public sealed class ConsoleBroker : WebApplicationFactory<Program>
{
    public const string AdminKey = "brk_console-test-bootstrap-admin-key-0123456789";

    private readonly Dictionary<string, string?> _settings;

    private ConsoleBroker(Dictionary<string, string?>? settings)
    {
        DataDir = Path.Combine(Path.GetTempPath(), "broker-console-tests", Guid.NewGuid().ToString("n"));
        _settings = new Dictionary<string, string?>(settings ?? [])
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Broker:DataDir"] = DataDir,
            ["Broker:BootstrapAdminKey"] = AdminKey,
        };
    }

    public string DataDir { get; }

    public Uri Address { get; private set; } = null!;

    public Uri ConsoleUrl => new(Address, "/console/");

    public static ConsoleBroker Start(Dictionary<string, string?>? settings = null)
    {
        var broker = new ConsoleBroker(settings);
        broker.UseKestrel();
        broker.StartServer();
        broker.Address = new Uri(broker.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return broker;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders());
    }

    public HttpClient Client(string? key = AdminKey)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>Creates a key through the API; returns (id, key).</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(object body)
    {
        using var client = Client();
        using var response = await client.PostAsJsonAsync("/v1/keys", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        return (json["id"]!.GetValue<string>(), json["key"]!.GetValue<string>());
    }

    public async Task PutCredentialAsync(string name, string value, Dictionary<string, string>? labels = null)
    {
        using var client = Client();
        using var response = await client.PutAsJsonAsync($"/v1/credentials/{name}", new { value, labels });
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);

        // Safe here: the assembly runs one test at a time (AssemblyInfo.cs), so no other broker's pool is in use.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
