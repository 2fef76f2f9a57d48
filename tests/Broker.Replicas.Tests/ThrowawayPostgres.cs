using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Broker.Replicas.Tests;

/// <summary>
/// A PostgreSQL cluster of the test's own (initdb into a temp directory, random port), so that stopping and starting
/// it does not disturb other tests sharing BROKER_TEST_POSTGRES. Needs the server binaries (BROKER_TEST_PG_BIN, or
/// /usr/lib/postgresql/*/bin); as root it runs them as the <c>postgres</c> user.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;

    private ThrowawayPostgres(string bin, string dir, int port)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=3";

    public static string? FindBin()
    {
        if (Environment.GetEnvironmentVariable("BROKER_TEST_PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
    }

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var bin = FindBin() ?? throw new InvalidOperationException("No PostgreSQL server binaries (set BROKER_TEST_PG_BIN).");
        var dir = Path.Combine("/tmp", "broker-pg-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(dir);
        var port = FreePort();
        var pg = new ThrowawayPostgres(bin, dir, port);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "postgres", dir);
        }

        await pg.AsServerUserAsync("initdb", "-D", Path.Combine(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8");
        await pg.StartServerAsync();
        return pg;
    }

    public Task StartServerAsync() =>
        AsServerUserAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w", "-o",
            $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1", "start");

    public Task StopServerAsync() => AsServerUserAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "fast", "-w", "stop");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopServerAsync();
        }
        catch (InvalidOperationException)
        {
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task AsServerUserAsync(string tool, params string[] args)
    {
        var exe = Path.Combine(_bin, tool);
        return Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. args])
            : RunAsync(exe, args);
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
