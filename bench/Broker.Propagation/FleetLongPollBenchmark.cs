using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Broker.Propagation;

/// <summary>
/// (d) A fleet on one key: the real Broker.Server in its own process with <c>Broker:MaxLongPollsPerKey</c> and
/// <c>Broker:MaxLongPolls</c> raised to <c>polls</c>, one agent key, <c>polls</c> raw <c>wait=55</c> long-polls on it
/// (If-None-Match of one first read). Reports the server's working set and CPU time with none held and with all held
/// (a window each), then one PUT of the credential and the time from the PUT sent to each long-poll's 200
/// (p50/p99/max, and when the last was answered).
/// </summary>
internal static class FleetLongPollBenchmark
{
    public static async Task RunAsync(int polls, TimeSpan window)
    {
        Console.WriteLine($"== (d) fleet: {polls} long-polls held on ONE agent key (wait=55), Broker.Server as a child process, {window.TotalSeconds:0} s windows");
        var port = InProcessBroker.FreePort();
        var dataDir = Path.Combine(Path.GetTempPath(), "broker-propagation", Guid.NewGuid().ToString("n"));
        var adminKey = "brk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        using var server = IdleLongPollBenchmark.StartServer(port, dataDir, adminKey, new Dictionary<string, string>
        {
            ["Broker__MaxLongPollsPerKey"] = polls.ToString(CultureInfo.InvariantCulture),
            ["Broker__MaxLongPolls"] = (polls + 100).ToString(CultureInfo.InvariantCulture),
        });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            Timeout = TimeSpan.FromSeconds(120),
        };
        try
        {
            await IdleLongPollBenchmark.WaitHealthyAsync(http, server);
            await PutAsync(http, adminKey, 0);
            string key;
            using (var create = new HttpRequestMessage(HttpMethod.Post, "v1/keys") { Content = JsonContent.Create(new { name = "fleet-agent", role = "agent", credentials = new[] { "*" } }) })
            {
                create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
                using var created = await http.SendAsync(create);
                created.EnsureSuccessStatusCode();
                key = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
            }

            string etag;
            using (var first = new HttpRequestMessage(HttpMethod.Get, "v1/agent/credentials"))
            {
                first.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                using var full = await http.SendAsync(first);
                full.EnsureSuccessStatusCode();
                etag = full.Headers.ETag!.ToString();
            }

            await Task.Delay(TimeSpan.FromSeconds(3));
            var idle = await IdleLongPollBenchmark.MeasureAsync(server, window);
            Console.WriteLine($"0 held:        working set {Percentiles.Mb(idle.WorkingSetEnd)}, CPU {idle.Cpu.TotalMilliseconds:0} ms over {window.TotalSeconds:0} s");

            var answeredAt = new long[polls];
            var status = new int[polls];
            var sent = 0;
            var sw = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, polls).Select(async i =>
            {
                using var poll = new HttpRequestMessage(HttpMethod.Get, "v1/agent/credentials?wait=55");
                poll.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                poll.Headers.TryAddWithoutValidation("If-None-Match", etag);
                var sending = http.SendAsync(poll);
                Interlocked.Increment(ref sent);
                try
                {
                    using var response = await sending;
                    await response.Content.ReadAsByteArrayAsync();
                    answeredAt[i] = Stopwatch.GetTimestamp();
                    status[i] = (int)response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    // Reported as status 0: a connection the server or the kernel reset.
                    answeredAt[i] = Stopwatch.GetTimestamp();
                }
            }).ToArray();

            // Held: every request sent and none answered for a few seconds (an answer before the PUT is a refusal).
            while (Volatile.Read(ref sent) < polls)
            {
                await Task.Delay(100);
            }

            await Task.Delay(TimeSpan.FromSeconds(5));
            Console.WriteLine($"{polls} long-polls sent in {sw.Elapsed.TotalSeconds:0.0} s (5 s settle included); answered before the change: {tasks.Count(t => t.IsCompleted)}");
            var held = await IdleLongPollBenchmark.MeasureAsync(server, window);
            Console.WriteLine($"{polls} held:   working set {Percentiles.Mb(held.WorkingSetEnd)} (peak {Percentiles.Mb(held.WorkingSetMax)}), CPU {held.Cpu.TotalMilliseconds:0} ms over {window.TotalSeconds:0} s");
            Console.WriteLine($"difference:    working set {Percentiles.Mb(held.WorkingSetEnd - idle.WorkingSetEnd)} (~{(held.WorkingSetEnd - idle.WorkingSetEnd) / 1024.0 / polls:0.0} KB per held long-poll), CPU {(held.Cpu - idle.Cpu).TotalMilliseconds:0} ms per {window.TotalSeconds:0} s");
            var early = tasks.Count(t => t.IsCompleted);

            server.Refresh();
            var cpuBefore = server.TotalProcessorTime;
            var putSent = Stopwatch.GetTimestamp();
            await PutAsync(http, adminKey, 1);
            var putAnswered = Stopwatch.GetTimestamp();
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(90));
            server.Refresh();
            var wake = answeredAt.Where((t, i) => t > putSent && status[i] == 200).Select(t => Stopwatch.GetElapsedTime(putSent, t).TotalMilliseconds).Order().ToArray();
            Console.WriteLine($"one PUT (round trip {Percentiles.Ms(Stopwatch.GetElapsedTime(putSent, putAnswered).TotalMilliseconds)}) woke {wake.Length} held long-polls ({early} answered before it); statuses: {string.Join(", ", status.GroupBy(s => s).Select(g => $"{g.Key} x{g.Count()}"))}");
            if (wake.Length > 0)
            {
                Console.WriteLine($"PUT sent -> long-poll answered: p50 {Percentiles.Ms(Percentiles.Of(wake, 50))}, p99 {Percentiles.Ms(Percentiles.Of(wake, 99))}, last {Percentiles.Ms(wake[^1])}; server CPU for the wake-up {(server.TotalProcessorTime - cpuBefore).TotalMilliseconds:0} ms");
            }
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }

            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task PutAsync(HttpClient http, string adminKey, int n)
    {
        // Never printed: a value only the broker and the clients see.
        using var put = new HttpRequestMessage(HttpMethod.Put, "v1/credentials/fleet_key") { Content = JsonContent.Create(new { value = $"fleet-secret-value-{n:D4}-{Guid.NewGuid():N}" }) };
        put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.SendAsync(put);
        response.EnsureSuccessStatusCode();
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
        {
            throw new InvalidOperationException($"PUT answered {(int)response.StatusCode}.");
        }
    }
}
