using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Broker.Replicas.Tests;

/// <summary>Replicas of the real server on loopback ports, sharing one fresh database and one master key.</summary>
public sealed class ReplicaCluster : IAsyncDisposable
{
    public const string AdminKey = "brk_replica-test-bootstrap-admin-key-0123456789";

    private readonly List<string> _dataDirs = [];

    private readonly IReadOnlyDictionary<string, string> _environment;

    private ReplicaCluster(string connectionString, IReadOnlyDictionary<string, string>? environment)
    {
        _environment = environment ?? new Dictionary<string, string>();
        ConnectionString = connectionString;
        MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    }

    public string ConnectionString { get; }

    public string MasterKey { get; }

    public List<ReplicaProcess> Replicas { get; } = [];

    public ReplicaProcess A => Replicas[0];

    public ReplicaProcess B => Replicas[1];

    /// <param name="count">How many replicas.</param>
    /// <param name="serverConnectionString">Where to create the database (default BROKER_TEST_POSTGRES).</param>
    /// <param name="environment">Extra settings for every replica (e.g. <c>Broker__MaxLongPollsPerKey</c>).</param>
    public static async Task<ReplicaCluster> StartAsync(int count = 2, string? serverConnectionString = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var cluster = new ReplicaCluster(await TestEnvironment.CreateDatabaseAsync(serverConnectionString ?? TestEnvironment.RequireConnectionString()), environment);
        try
        {
            for (var i = 0; i < count; i++)
            {
                await cluster.AddReplicaAsync();
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public async Task<ReplicaProcess> AddReplicaAsync()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "broker-replica-tests", Guid.NewGuid().ToString("n"));
        _dataDirs.Add(dataDir);
        var environment = new Dictionary<string, string>(_environment)
        {
            ["Broker__Store"] = "postgres",
            ["ConnectionStrings__Broker"] = ConnectionString,
            ["Broker__MasterKey"] = MasterKey,
            ["Broker__BootstrapAdminKey"] = AdminKey,
            ["Broker__DataDir"] = dataDir,
        };
        var replica = ReplicaProcess.Start(environment);
        Replicas.Add(replica);
        await replica.WaitReadyAsync(TimeSpan.FromSeconds(60));
        return replica;
    }

    public static HttpClient Client(ReplicaProcess replica, string key)
    {
        var client = new HttpClient { BaseAddress = replica.Address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task<(string Id, string Key)> CreateKeyAsync(ReplicaProcess through, object body)
    {
        using var client = Client(through, AdminKey);
        using var response = await client.PostAsJsonAsync("/v1/keys", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        return (json["id"]!.GetValue<string>(), json["key"]!.GetValue<string>());
    }

    public async Task PutAsync(ReplicaProcess through, string name, string value)
    {
        using var client = Client(through, AdminKey);
        using var response = await client.PutAsJsonAsync($"/v1/credentials/{name}", new { value });
        Assert.True(response.IsSuccessStatusCode, $"PUT {name}: {(int)response.StatusCode}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in Replicas)
        {
            await replica.DisposeAsync();
        }

        await TestEnvironment.DropDatabaseAsync(ConnectionString);
        foreach (var dir in _dataDirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
