// Cross-replica latencies over two running replicas that share one database (docs/replicas.md).
//   dotnet run -c Release --project bench/Broker.Replicas.Bench -- <urlA> <urlB> <adminKey> [trials]
// 1. revocation-to-rejection: POST /v1/keys/{id}/revoke on A; measured to A's answer (which waits for every replica's
//    acknowledgement or the lease bound) and to the first 401 on B, polled back to back from the moment of the POST.
// 2. change-to-client: PUT /v1/credentials/{name} on A until a BrokerClient long-polling B raises CredentialsChanged.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Broker.Client;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Broker.Replicas.Bench <urlA> <urlB> <adminKey> [trials]");
    return 2;
}

var a = new Uri(args[0]);
var b = new Uri(args[1]);
var adminKey = args[2];
var trials = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 100;
using var adminA = Client(a, adminKey);
await Put(adminA, "bench.value", "v0");

var revokeAnswer = new List<double>();
var rejectOnB = new List<double>();
for (var i = 0; i < trials; i++)
{
    var (id, key) = await CreateKey(adminA, $"bench-{i}-{Guid.NewGuid():n}"[..40]);
    using var agentB = Client(b, key);
    while ((await agentB.GetAsync("/v1/agent/credentials/bench.value")).StatusCode != HttpStatusCode.OK)
    {
    }

    var started = Stopwatch.GetTimestamp();
    var watcher = Task.Run(async () =>
    {
        while (true)
        {
            using var response = await agentB.GetAsync("/v1/agent/credentials/bench.value");
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }
    });
    using (var revoke = await adminA.PostAsync($"/v1/keys/{id}/revoke", null))
    {
        revoke.EnsureSuccessStatusCode();
    }

    revokeAnswer.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    rejectOnB.Add(await watcher);
}

Report("revoke on A answered", revokeAnswer);
Report("first 401 on B after revoke on A", rejectOnB);

var (_, agentKey) = await CreateKey(adminA, "bench-sdk-" + Guid.NewGuid().ToString("n")[..8]);
await using var client = new BrokerClient(new BrokerClientOptions { Endpoint = b, ApiKey = agentKey, LongPoll = true });
await client.StartAsync();
var toClient = new List<double>();
for (var i = 1; i <= trials; i++)
{
    var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    void OnChanged(object? sender, CredentialsChangedEventArgs e) => seen.TrySetResult();
    client.CredentialsChanged += OnChanged;
    await Task.Delay(50); // let the client's next long-poll park on B
    var started = Stopwatch.GetTimestamp();
    await Put(adminA, "bench.value", "v" + i);
    await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
    toClient.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    client.CredentialsChanged -= OnChanged;
}

Report("PUT on A → SDK client on B sees it", toClient);
return 0;

static HttpClient Client(Uri baseAddress, string key)
{
    var client = new HttpClient { BaseAddress = baseAddress };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    return client;
}

static async Task Put(HttpClient admin, string name, string value)
{
    using var response = await admin.PutAsJsonAsync($"/v1/credentials/{name}", new { value });
    response.EnsureSuccessStatusCode();
}

static async Task<(string Id, string Key)> CreateKey(HttpClient admin, string name)
{
    using var response = await admin.PostAsJsonAsync("/v1/keys", new { name, role = "agent", credentials = new[] { "bench.*" } });
    response.EnsureSuccessStatusCode();
    var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    return (json["id"]!.GetValue<string>(), json["key"]!.GetValue<string>());
}

static void Report(string what, List<double> ms)
{
    ms.Sort();
    double P(double q) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
    Console.WriteLine($"{what}: n={ms.Count} p50={P(0.50):F1} ms p99={P(0.99):F1} ms max={ms[^1]:F1} ms");
}
