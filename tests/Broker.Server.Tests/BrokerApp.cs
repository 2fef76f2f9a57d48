using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Server.Tests;

/// <summary>
/// A real broker host (WebApplicationFactory) on a real SQLite file in a fresh temp directory, with a known
/// bootstrap admin key. Optional FakeTimeProvider for expiry and rate windows.
/// </summary>
public sealed class BrokerApp : WebApplicationFactory<Program>
{
    public const string AdminKey = "brk_test-bootstrap-admin-key-0123456789";

    private readonly Dictionary<string, string?> _settings;
    private readonly bool _ownsDataDir;
    private readonly Action<IServiceCollection>? _services;

    public BrokerApp(FakeTimeProvider? time = null, Dictionary<string, string?>? settings = null, bool bootstrapKey = true, string? dataDir = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        Time = time;
        _ownsDataDir = dataDir is null;
        DataDir = dataDir ?? Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n"));
        _settings = new Dictionary<string, string?>(settings ?? []) { ["Broker:DataDir"] = DataDir };
        if (bootstrapKey)
        {
            _settings["Broker:BootstrapAdminKey"] = AdminKey;
        }
    }

    public string DataDir { get; }

    public FakeTimeProvider? Time { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (Time is not null)
        {
            builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Time)));
        }

        if (_services is not null)
        {
            builder.ConfigureServices(_services);
        }
    }

    public HttpClient ClientWith(string? key)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public HttpClient Admin() => ClientWith(AdminKey);

    /// <summary>Creates a key through the API and returns (id, key).</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(object body, string? asKey = null)
    {
        using var client = ClientWith(asKey ?? AdminKey);
        using var response = await client.PostAsJsonAsync("/v1/keys", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        return (json["id"]!.GetValue<string>(), json["key"]!.GetValue<string>());
    }

    public async Task PutAsync(string name, string value, string? subject = null, string? kind = null)
    {
        using var client = Admin();
        var url = $"/v1/credentials/{name}" + (subject is null ? "" : $"?subject={Uri.EscapeDataString(subject)}");
        using var response = await client.PutAsJsonAsync(url, new { value, kind });
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    protected override void Dispose(bool disposing)
    {
        // Close this broker's pooled connections only (clearing every pool would race other tests).
        var file = Path.Combine(DataDir, "broker.db");
        if (File.Exists(file))
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(file), Pooling = true, DefaultTimeout = 30 }.ToString());
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
        }

        base.Dispose(disposing);
        if (!_ownsDataDir)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static string NewDataDir() => Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n"));

    public static async Task<JsonNode> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
}
