using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Client.Tests;

/// <summary>
/// The real <c>src/Broker.Server</c> (its <c>Program</c>, migrations, SQLite store, key ring, key authentication, long-poll
/// signal) on Kestrel at 127.0.0.1 on a fixed port, with a temp data directory and a known bootstrap admin key.
/// Stop and restart keep the port and the data directory. The test data is written through the admin API; STS calls
/// go to a local <see cref="FakeSts"/> through <c>Broker:Aws:ServiceUrl</c>.
/// </summary>
public sealed class RealBroker : ITestBroker
{
    public const string AdminKey = "brk_client-tests-bootstrap-admin-0123456789abcdef";

    private readonly ConcurrentDictionary<string, string> _keyIds = new(StringComparer.Ordinal);
    private readonly FakeSts _sts;
    private readonly int _port;
    private Host? _host;

    private RealBroker(FakeSts sts, int port, string dataDir)
    {
        _sts = sts;
        _port = port;
        DataDir = dataDir;
    }

    public Uri Endpoint => new($"http://127.0.0.1:{_port}");

    public string DataDir { get; }

    public string AgentKey { get; private set; } = string.Empty;

    public bool IsRunning => _host is not null;

    public int StsRequests => _sts.RequestCount;

    public string? LastStsPolicy => _sts.LastRequest?.GetValueOrDefault("Policy");

    public int? LastStsDurationSeconds => _sts.LastRequest?.GetValueOrDefault("DurationSeconds") is { } d ? int.Parse(d, System.Globalization.CultureInfo.InvariantCulture) : null;

    public TimeProvider StsClock
    {
        get => _sts.Clock;
        set => _sts.Clock = value;
    }

    public static async Task<RealBroker> StartNewAsync()
    {
        var sts = await FakeSts.StartAsync();
        var dataDir = Path.Combine(Path.GetTempPath(), "broker-client-tests", Guid.NewGuid().ToString("n"));
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // A port picked by the OS then released: another process may take it before Kestrel binds; then try another.
            var broker = new RealBroker(sts, FreeLoopbackPort(), dataDir);
            try
            {
                broker._host = await Host.StartAsync(broker._port, broker.DataDir, sts.ServiceUrl);
            }
            catch (IOException ex)
            {
                last = ex;
                continue;
            }

            // The tests verify inbound keys for several agent names ("support-agent", "other-agent") with this one key, as a
            // runtime hosting several agents does: that needs the verifyAs grant.
            var (_, agentKey) = await broker.CreateKeyAsync(new
            {
                name = "test-agent", role = "agent", credentials = new[] { "*" }, verifyAs = new[] { "*" },
                tokens = new { audiences = new[] { "*" }, scopes = new[] { "*" } }, sts = new { roles = new[] { "*" }, maxDurationSeconds = 43200 }, subjects = "any",
            });
            broker.AgentKey = agentKey;
            return broker;
        }

        await sts.DisposeAsync();
        throw new InvalidOperationException("Could not bind a loopback port for the broker.", last);
    }

    /// <summary>Creates a key through <c>POST /v1/keys</c>; returns its id and its secret.</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(object body)
    {
        using var admin = Admin();
        using var response = await admin.PostAsJsonAsync("v1/keys", body);
        await EnsureSuccessAsync(response, "POST /v1/keys");
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var (id, key) = (json["id"]!.GetValue<string>(), json["key"]!.GetValue<string>());
        _keyIds[key] = id;
        return (id, key);
    }

    /// <summary>Rotates a key through <c>POST /v1/keys/{id}/rotate</c>; the old secret works for <paramref name="graceSeconds"/>. Returns the new secret.</summary>
    public async Task<string> RotateKeyAsync(string id, int graceSeconds)
    {
        using var admin = Admin();
        using var response = await admin.PostAsJsonAsync($"v1/keys/{id}/rotate", new { graceSeconds });
        await EnsureSuccessAsync(response, "POST /v1/keys/{id}/rotate");
        var key = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
        _keyIds[key] = id;
        return key;
    }

    /// <summary>The status <c>GET /v1/agent/credentials</c> answers to <paramref name="key"/>.</summary>
    public async Task<HttpStatusCode> FeedStatusWithAsync(string key)
    {
        using var http = new HttpClient { BaseAddress = Endpoint, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.GetAsync("v1/agent/credentials");
        return response.StatusCode;
    }

    public async Task SetCredentialAsync(string name, string value, string? subject = null) => await PutAsync(name, value, subject, kind: null);

    public async Task SetAwsCredentialAsync(string name)
    {
        var value = System.Text.Json.JsonSerializer.Serialize(new
        {
            accessKeyId = "AKIAFAKEBASEKEY00001",
            secretAccessKey = "fakeBaseSecret/K7MDENG+bPxRfiCYEXAMPLEKEY",
            roleArn = "arn:aws:iam::123456789012:role/agent-role",
        });
        await PutAsync(name, value, subject: null, kind: "aws");
    }

    public async Task RemoveCredentialAsync(string name)
    {
        await WithRunningHostAsync(async admin =>
        {
            using var response = await admin.DeleteAsync($"v1/credentials/{Uri.EscapeDataString(name)}");
            await EnsureSuccessAsync(response, "DELETE /v1/credentials");
        });
    }

    public async Task<string> CreateInboundKeyAsync(string name, string agent, int? rateLimitPerMinute = null, int? quotaPerDay = null, DateTimeOffset? expiresAt = null)
    {
        var (_, key) = await CreateKeyAsync(new { name, role = "caller", agents = new[] { agent }, rateLimitPerMinute, quotaPerDay, expiresAt });
        return key;
    }

    public string KeyIdOf(string key) => _keyIds[key];

    public async Task RevokeInboundKeyAsync(string key)
    {
        using var admin = Admin();
        using var response = await admin.PostAsync($"v1/keys/{KeyIdOf(key)}/revoke", null);
        await EnsureSuccessAsync(response, "POST /v1/keys/{id}/revoke");
    }

    public async Task StopAsync()
    {
        var host = _host;
        _host = null;
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    public async Task RestartAsync()
    {
        if (_host is null)
        {
            _host = await Host.StartAsync(_port, DataDir, _sts.ServiceUrl);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _sts.DisposeAsync();
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task PutAsync(string name, string value, string? subject, string? kind)
    {
        await WithRunningHostAsync(async admin =>
        {
            var url = $"v1/credentials/{Uri.EscapeDataString(name)}" + (subject is null ? string.Empty : "?subject=" + Uri.EscapeDataString(subject));
            using var response = await admin.PutAsJsonAsync(url, new { value, kind });
            await EnsureSuccessAsync(response, "PUT /v1/credentials");
        });
    }

    /// <summary>
    /// Runs an admin call against the broker. While it is stopped, the call goes to a second host on the same data
    /// directory and another port, which no client knows: the change happens while the clients are cut off from it.
    /// </summary>
    private async Task WithRunningHostAsync(Func<HttpClient, Task> call)
    {
        if (_host is not null)
        {
            using var admin = Admin();
            await call(admin);
            return;
        }

        var sidePort = FreeLoopbackPort();
        await using var side = await Host.StartAsync(sidePort, DataDir, _sts.ServiceUrl);
        using var sideAdmin = Admin(new Uri($"http://127.0.0.1:{sidePort}"));
        await call(sideAdmin);
    }

    public HttpClient Admin(Uri? endpoint = null)
    {
        var client = new HttpClient { BaseAddress = endpoint ?? Endpoint, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            // Problem bodies never hold a secret (API.md), so they are safe in a test failure.
            throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One run of the server: <see cref="WebApplicationFactory{TEntryPoint}"/> over the real <c>Program</c>, on Kestrel.</summary>
    private sealed class Host : WebApplicationFactory<Program>
    {
        private readonly int _port;
        private readonly string _dataDir;
        private readonly string _stsUrl;

        private Host(int port, string dataDir, string stsUrl)
        {
            _port = port;
            _dataDir = dataDir;
            _stsUrl = stsUrl;
        }

        public static async Task<Host> StartAsync(int port, string dataDir, string stsUrl)
        {
            var host = new Host(port, dataDir, stsUrl);
            host.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
            try
            {
                await Task.Run(host.StartServer);
                return host;
            }
            catch
            {
                await host.DisposeAsync();
                throw;
            }
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("urls", $"http://127.0.0.1:{_port}");
            builder.UseSetting("Broker:DataDir", _dataDir);
            builder.UseSetting("Broker:BootstrapAdminKey", AdminKey);
            builder.UseSetting("Broker:Aws:ServiceUrl", _stsUrl);
            builder.ConfigureLogging(logging => logging.ClearProviders());

            // The server does not end long-polls at shutdown; Kestrel then waits this long before it drops them.
            builder.ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1)));
        }
    }
}
