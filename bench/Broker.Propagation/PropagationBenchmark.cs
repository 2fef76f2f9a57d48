using System.Diagnostics;
using System.Net.Http.Json;
using Broker.Client;

namespace Broker.Propagation;

/// <summary>
/// (a) Rotation propagation: <c>clients</c> long-polling BrokerClients (one agent key each), <c>rotations</c> PUTs of a new
/// value; for every (client, rotation) pair, the time from the admin's PUT response to that client's CredentialsChanged.
/// </summary>
internal static class PropagationBenchmark
{
    private const string Name = "rotating_key";

    public static async Task RunAsync(int clients, int rotations)
    {
        Console.WriteLine($"== (a) rotation propagation: {clients} long-polling BrokerClients, {rotations} rotations, real broker in-process on loopback");
        await using var broker = await InProcessBroker.StartAsync();
        using var admin = broker.Admin();
        await PutAsync(admin, 0);

        // received[c, r]: Stopwatch ticks when client c's CredentialsChanged showed version r + 2 (version 1 is the start value).
        var received = new long[clients, rotations];
        var pending = new int[rotations];
        var done = new TaskCompletionSource[rotations];
        for (var r = 0; r < rotations; r++)
        {
            pending[r] = clients;
            done[r] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var list = new List<BrokerClient>(clients);
        try
        {
            for (var c = 0; c < clients; c++)
            {
                var key = await InProcessBroker.CreateAgentKeyAsync(admin, $"agent-{c:D3}");
                var client = new BrokerClient(broker.Endpoint, key, new BrokerClientOptions { LongPoll = true });
                var index = c;
                client.CredentialsChanged += (_, e) =>
                {
                    var now = Stopwatch.GetTimestamp();
                    if (!e.Changed.Contains(Name) || !client.TryGetCredential(Name, out var credential))
                    {
                        return;
                    }

                    var r = credential.Version - 2;
                    if (r >= 0 && r < rotations && Interlocked.CompareExchange(ref received[index, r], now, 0) == 0 && Interlocked.Decrement(ref pending[r]) == 0)
                    {
                        done[r].TrySetResult();
                    }
                };
                list.Add(client);
            }

            await Task.WhenAll(list.Select(c => c.StartAsync()));

            // Let every client's first long-poll reach the broker before the first rotation.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var putSent = new long[rotations];
            var putAnswered = new long[rotations];
            var deadline = TimeSpan.FromSeconds(30);
            for (var r = 0; r < rotations; r++)
            {
                putSent[r] = Stopwatch.GetTimestamp();
                await PutAsync(admin, r + 1);
                putAnswered[r] = Stopwatch.GetTimestamp();
                if (await Task.WhenAny(done[r].Task, Task.Delay(deadline)) != done[r].Task)
                {
                    throw new TimeoutException($"Rotation {r + 1}: {Volatile.Read(ref pending[r])} of {clients} clients did not see it within {deadline.TotalSeconds} s.");
                }

                // Idle between rotations, so each one starts from re-armed long-polls (steady state, not a burst).
                await Task.Delay(50);
            }

            var fromResponse = new double[clients * rotations];
            var fromRequest = new double[clients * rotations];
            var i = 0;
            for (var c = 0; c < clients; c++)
            {
                for (var r = 0; r < rotations; r++, i++)
                {
                    fromResponse[i] = Stopwatch.GetElapsedTime(putAnswered[r], received[c, r]).TotalMilliseconds;
                    fromRequest[i] = Stopwatch.GetElapsedTime(putSent[r], received[c, r]).TotalMilliseconds;
                }
            }

            Array.Sort(fromResponse);
            Array.Sort(fromRequest);
            var putMs = Enumerable.Range(0, rotations).Select(r => Stopwatch.GetElapsedTime(putSent[r], putAnswered[r]).TotalMilliseconds).Order().ToArray();
            Console.WriteLine($"pairs: {fromResponse.Length}");
            Console.WriteLine($"PUT response -> CredentialsChanged: p50 {Percentiles.Ms(Percentiles.Of(fromResponse, 50))}, p99 {Percentiles.Ms(Percentiles.Of(fromResponse, 99))}, max {Percentiles.Ms(fromResponse[^1])}, min {Percentiles.Ms(fromResponse[0])}");
            Console.WriteLine($"PUT sent     -> CredentialsChanged: p50 {Percentiles.Ms(Percentiles.Of(fromRequest, 50))}, p99 {Percentiles.Ms(Percentiles.Of(fromRequest, 99))}, max {Percentiles.Ms(fromRequest[^1])}");
            Console.WriteLine($"admin PUT round trip:               p50 {Percentiles.Ms(Percentiles.Of(putMs, 50))}, p99 {Percentiles.Ms(Percentiles.Of(putMs, 99))}, max {Percentiles.Ms(putMs[^1])}");
            Console.WriteLine("(a negative 'from PUT response' time means the client had the value before the admin had read the PUT's answer)");
        }
        finally
        {
            foreach (var client in list)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task PutAsync(HttpClient admin, int n)
    {
        // Never printed: a value only the broker and the clients see.
        using var response = await admin.PutAsJsonAsync($"v1/credentials/{Name}", new { value = $"rotating-secret-value-{n:D6}-{Guid.NewGuid():N}" });
        response.EnsureSuccessStatusCode();
    }
}
