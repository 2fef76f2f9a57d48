using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Broker.Propagation;

/// <summary>
/// Revocation under load, one broker: 8 workers hammer <c>GET /v1/agent/credentials/{name}</c> with a key; the
/// admin revokes it. Per trial: time from sending the revoke to the first rejected request, and the number of
/// requests that started after the revoke response arrived and still succeeded (the promise: 0).
/// </summary>
internal static class RevocationBenchmark
{
    public static async Task RunAsync(int trials)
    {
        await using var broker = await InProcessBroker.StartAsync();
        using var admin = broker.Admin();
        (await admin.PutAsJsonAsync("v1/credentials/openai_key", new { value = "sk-revocation-bench-value" })).EnsureSuccessStatusCode();
        var toFirstRejection = new List<double>();
        var acceptedAfter = 0L;
        var served = 0L;
        for (var trial = 0; trial < trials; trial++)
        {
            using var created = await admin.PostAsJsonAsync("v1/keys", new { name = "hot-" + trial, role = "agent", credentials = new[] { "*" } });
            var json = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
            var (id, key) = (json["id"]!.GetValue<string>(), json["key"]!.GetValue<string>());
            var clock = Stopwatch.StartNew();
            long revokeSent = long.MaxValue, revokeAnswered = long.MaxValue, firstRejected = long.MaxValue;
            var successes = 0;
            using var stop = new CancellationTokenSource();

            async Task Worker()
            {
                using var client = new HttpClient { BaseAddress = broker.Endpoint };
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
                while (!stop.IsCancellationRequested)
                {
                    var started = clock.ElapsedTicks;
                    using var response = await client.GetAsync("v1/agent/credentials/openai_key");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref successes);
                        Interlocked.Increment(ref served);
                        if (started > Interlocked.Read(ref revokeAnswered))
                        {
                            Interlocked.Increment(ref acceptedAfter);
                        }
                    }
                    else if (response.StatusCode == HttpStatusCode.Unauthorized)
                    {
                        var now = clock.ElapsedTicks;
                        InterlockedMin(ref firstRejected, now);
                    }
                }
            }

            var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(Worker)).ToArray();
            while (Volatile.Read(ref successes) < 40)
            {
                await Task.Delay(1);
            }

            Interlocked.Exchange(ref revokeSent, clock.ElapsedTicks);
            (await admin.PostAsync($"v1/keys/{id}/revoke", null)).EnsureSuccessStatusCode();
            Interlocked.Exchange(ref revokeAnswered, clock.ElapsedTicks);
            while (Interlocked.Read(ref firstRejected) == long.MaxValue)
            {
                await Task.Delay(1);
            }

            await Task.Delay(20);
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            toFirstRejection.Add((firstRejected - revokeSent) * 1000.0 / Stopwatch.Frequency);
        }

        var sorted = toFirstRejection.Order().ToArray();
        Console.WriteLine($"revocation under load ({trials} trials, 8 workers): revoke sent -> first 401: p50 {Percentiles.Ms(Percentiles.Of(sorted, 50))}, " +
            $"p99 {Percentiles.Ms(Percentiles.Of(sorted, 99))}, max {Percentiles.Ms(sorted[^1])}; requests served {served}, " +
            $"accepted after the revoke response: {acceptedAfter}");
    }

    private static void InterlockedMin(ref long target, long value)
    {
        long current;
        while (value < (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
