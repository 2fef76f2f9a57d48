using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Broker.Propagation;

/// <summary>
/// (b) The cost of idle long-polls: the real Broker.Server in its own process (so its working set and CPU time are its
/// own), first with no client for a window, then holding <c>clients</c> raw <c>wait=55</c> long-polls (one agent key
/// each) for a window of the same length.
/// </summary>
internal static class IdleLongPollBenchmark
{
    public static async Task RunAsync(int clients, TimeSpan window)
    {
        Console.WriteLine($"== (b) idle long-polls: Broker.Server as a child process, 0 vs {clients} held long-polls (wait=55), {window.TotalSeconds:0} s windows");
        var port = InProcessBroker.FreePort();
        var dataDir = Path.Combine(Path.GetTempPath(), "broker-propagation", Guid.NewGuid().ToString("n"));
        var adminKey = "brk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var endpoint = new Uri($"http://127.0.0.1:{port}/");
        using var server = StartServer(port, dataDir, adminKey);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = endpoint,
            Timeout = TimeSpan.FromSeconds(120),
        };
        try
        {
            await WaitHealthyAsync(http, server);
            using (var put = new HttpRequestMessage(HttpMethod.Put, "v1/credentials/idle_key") { Content = JsonContent.Create(new { value = "idle-secret-value-" + Guid.NewGuid().ToString("N") }) })
            {
                put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
                (await http.SendAsync(put)).EnsureSuccessStatusCode();
            }

            var keys = new string[clients];
            var sw = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/keys") { Content = JsonContent.Create(new { name = $"idle-agent-{i:D4}", role = "agent", credentials = new[] { "*" } }) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
                using var response = await http.SendAsync(request, ct);
                response.EnsureSuccessStatusCode();
                keys[i] = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["key"]!.GetValue<string>();
            });
            Console.WriteLine($"created {clients} agent keys in {sw.Elapsed.TotalSeconds:0.0} s");

            // Settle after the setup, then the baseline: the same server, holding nothing.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var idle = await MeasureAsync(server, window);
            Console.WriteLine($"0 clients:    working set {Percentiles.Mb(idle.WorkingSetEnd)} (peak in window {Percentiles.Mb(idle.WorkingSetMax)}), CPU {idle.Cpu.TotalMilliseconds:0} ms over {window.TotalSeconds:0} s");

            // Each client: a first read for its ETag, then one long-poll held for up to 55 s.
            var answered = 0;
            var armed = 0;
            using var stop = new CancellationTokenSource();
            var polls = keys.Select(async key =>
            {
                using var first = new HttpRequestMessage(HttpMethod.Get, "v1/agent/credentials");
                first.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                using var full = await http.SendAsync(first, stop.Token);
                full.EnsureSuccessStatusCode();
                var etag = full.Headers.ETag!.ToString();
                while (!stop.IsCancellationRequested)
                {
                    using var poll = new HttpRequestMessage(HttpMethod.Get, "v1/agent/credentials?wait=55");
                    poll.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                    poll.Headers.TryAddWithoutValidation("If-None-Match", etag);
                    Interlocked.Increment(ref armed);
                    try
                    {
                        using var response = await http.SendAsync(poll, stop.Token);
                        Interlocked.Increment(ref answered);
                        if (response.StatusCode != HttpStatusCode.NotModified)
                        {
                            throw new InvalidOperationException($"Long-poll answered {(int)response.StatusCode}.");
                        }
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }).ToArray();

            sw.Restart();
            while (Volatile.Read(ref armed) < clients)
            {
                if (polls.FirstOrDefault(p => p.IsFaulted) is { } failed)
                {
                    await failed;
                }

                await Task.Delay(50);
            }

            Console.WriteLine($"{clients} long-polls sent in {sw.Elapsed.TotalSeconds:0.0} s");
            await Task.Delay(TimeSpan.FromSeconds(3));
            var answeredBefore = Volatile.Read(ref answered);
            var held = await MeasureAsync(server, window);
            var answeredInWindow = Volatile.Read(ref answered) - answeredBefore;
            Console.WriteLine($"{clients} clients: working set {Percentiles.Mb(held.WorkingSetEnd)} (peak in window {Percentiles.Mb(held.WorkingSetMax)}), CPU {held.Cpu.TotalMilliseconds:0} ms over {window.TotalSeconds:0} s; long-polls answered during the window: {answeredInWindow}");
            Console.WriteLine($"difference:   working set {Percentiles.Mb(held.WorkingSetEnd - idle.WorkingSetEnd)} (~{(held.WorkingSetEnd - idle.WorkingSetEnd) / 1024.0 / clients:0.0} KB per held long-poll), CPU {(held.Cpu - idle.Cpu).TotalMilliseconds:0} ms per {window.TotalSeconds:0} s");

            await stop.CancelAsync();
            await Task.WhenAll(polls.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default)));
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

    internal static async Task<(long WorkingSetEnd, long WorkingSetMax, TimeSpan Cpu)> MeasureAsync(Process server, TimeSpan window)
    {
        server.Refresh();
        var cpuStart = server.TotalProcessorTime;
        var max = server.WorkingSet64;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < window)
        {
            await Task.Delay(250);
            server.Refresh();
            max = Math.Max(max, server.WorkingSet64);
        }

        server.Refresh();
        return (server.WorkingSet64, max, server.TotalProcessorTime - cpuStart);
    }

    internal static Process StartServer(int port, string dataDir, string adminKey, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dll = FindServerDll();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["Broker__DataDir"] = dataDir;
        start.Environment["Broker__BootstrapAdminKey"] = adminKey;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start Broker.Server.");

        // Drain the child's output so it never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine("[server] " + line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string FindServerDll()
    {
        var configuration = typeof(IdleLongPollBenchmark).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Broker.sln")))
            {
                var dll = Path.Combine(dir.FullName, "src", "Broker.Server", "bin", configuration, "net10.0", "Broker.Server.dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build Broker.Server in {configuration} first.", dll);
            }
        }

        throw new DirectoryNotFoundException("Broker.sln not found above " + AppContext.BaseDirectory);
    }

    internal static async Task WaitHealthyAsync(HttpClient http, Process server)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"Broker.Server exited with {server.ExitCode}.");
            }

            try
            {
                using var response = await http.GetAsync("readyz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("Broker.Server did not become ready within 60 s.");
    }
}
