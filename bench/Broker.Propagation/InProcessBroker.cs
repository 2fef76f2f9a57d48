using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Broker.Propagation;

/// <summary>The real broker (<c>Program</c> of Broker.Server) in this process, on Kestrel at 127.0.0.1, with a temp data directory.</summary>
internal sealed class InProcessBroker : WebApplicationFactory<Program>
{
    private readonly int _port = FreePort();

    private InProcessBroker()
    {
    }

    public string DataDir { get; } = Path.Combine(Path.GetTempPath(), "broker-propagation", Guid.NewGuid().ToString("n"));

    public string AdminKey { get; } = "brk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public Uri Endpoint => new($"http://127.0.0.1:{_port}/");

    public static async Task<InProcessBroker> StartAsync()
    {
        var broker = new InProcessBroker();
        broker.UseKestrel(k => k.Listen(IPAddress.Loopback, broker._port));
        await Task.Run(broker.StartServer);
        return broker;
    }

    public HttpClient Admin()
    {
        var client = new HttpClient { BaseAddress = Endpoint };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    public static async Task<string> CreateAgentKeyAsync(HttpClient admin, string name)
    {
        using var response = await admin.PostAsJsonAsync("v1/keys", new { name, role = "agent", credentials = new[] { "*" } });
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // The server's appsettings.json is copied next to this tool; the test manifest would be looked up from the working directory.
        builder.UseContentRoot(AppContext.BaseDirectory);
        builder.UseEnvironment("Production");
        builder.UseSetting("urls", Endpoint.AbsoluteUri.TrimEnd('/'));
        builder.UseSetting("Broker:DataDir", DataDir);
        builder.UseSetting("Broker:BootstrapAdminKey", AdminKey);
        builder.ConfigureLogging(logging => logging.ClearProviders());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
