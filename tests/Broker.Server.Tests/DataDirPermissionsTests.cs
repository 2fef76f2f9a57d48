using System.Net;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Broker.Server.Tests;

/// <summary>The data directory and the broker's files in it are owner-only on every start, and looser ones are tightened.</summary>
public sealed class DataDirPermissionsTests
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Open = (UnixFileMode)0b111_111_111;

    private static readonly Dictionary<string, string?> Jsonl = new() { ["Broker:Audit:JsonlPath"] = "audit/audit.jsonl" };

    [Fact]
    public async Task FirstStart_CreatesTheDataDirAndEveryFile_OwnerOnly_WithoutAnyWarning()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var logs = new FakeLoggerProvider();
        using var app = new BrokerApp(settings: Jsonl, bootstrapKey: false, services: s => s.AddLogging(b => b.AddProvider(logs)));
        await StartAndWriteAsync(app);

        AssertOwnerOnly(app.DataDir);
        Assert.Contains(Path.Combine(app.DataDir, "broker.db-wal"), OwnFiles(app.DataDir));
        Assert.DoesNotContain(logs.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning && r.Message.Contains("beyond its owner", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LooseModes_OfAnExistingStore_AreTightenedOnStart_AndLoggedByPath()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var dataDir = BrokerApp.NewDataDir();
        using (var first = new BrokerApp(settings: Jsonl, bootstrapKey: false, dataDir: dataDir))
        {
            await StartAndWriteAsync(first);
        }

        // A restore from a backup made with a permissive umask: everything group- and world-readable and writable,
        // SQLite's companions included; and a file of the operator's that is none of the broker's business.
        // (Never truncate a -shm another connection of this process may still map: that is a SIGBUS.)
        foreach (var companion in new[] { "broker.db-shm", "broker.db-wal", Path.Combine("audit", "audit.1.jsonl") }.Select(f => Path.Combine(dataDir, f)))
        {
            if (!File.Exists(companion))
            {
                await File.WriteAllTextAsync(companion, "");
            }
        }

        var notes = Path.Combine(dataDir, "operator-notes.txt");
        await File.WriteAllTextAsync(notes, "mine");
        var loosened = new[] { dataDir, Path.Combine(dataDir, "keys"), Path.Combine(dataDir, "audit") }.Concat(OwnFiles(dataDir)).ToArray();
        foreach (var path in loosened.Append(notes))
        {
            File.SetUnixFileMode(path, Open);
        }

        var logs = new FakeLoggerProvider();
        using (var second = new BrokerApp(settings: Jsonl, bootstrapKey: false, dataDir: dataDir, services: s => s.AddLogging(b => b.AddProvider(logs))))
        {
            using var anonymous = second.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
            AssertOwnerOnly(dataDir);
        }

        Assert.Equal(Open, File.GetUnixFileMode(notes));
        var warnings = logs.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning && r.Message.Contains("beyond its owner", StringComparison.Ordinal)).Select(r => r.Message).ToArray();
        foreach (var path in loosened)
        {
            Assert.Contains(warnings, w => w.StartsWith(path + " was", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(warnings, w => w.Contains(notes, StringComparison.Ordinal));
        Directory.Delete(dataDir, recursive: true);
    }

    /// <summary>Starts the broker and makes it write a credential (and so the database's WAL and the JSONL copy).</summary>
    private static async Task StartAndWriteAsync(BrokerApp app)
    {
        using (var anonymous = app.CreateClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
        }

        using var admin = app.ClientWith((await File.ReadAllTextAsync(Path.Combine(app.DataDir, "admin.key"))).Trim());
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/v1/credentials/mode_check", new { value = "sk-mode-check" })).StatusCode);
        var jsonl = Path.Combine(app.DataDir, "audit", "audit.jsonl");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!File.Exists(jsonl) || new FileInfo(jsonl).Length == 0)
        {
            // The JSONL copy is written after the commit, off the request path.
            await Task.Delay(20, deadline.Token);
        }
    }

    [UnsupportedOSPlatform("windows")]
    private static void AssertOwnerOnly(string dataDir)
    {
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(dataDir));
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(Path.Combine(dataDir, "keys")));
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(Path.Combine(dataDir, "audit")));
        var files = OwnFiles(dataDir);
        Assert.Contains(Path.Combine(dataDir, "broker.db"), files);
        Assert.Contains(Path.Combine(dataDir, "admin.key"), files);
        Assert.Contains(Path.Combine(dataDir, "audit", "audit.jsonl"), files);
        Assert.Contains(files, f => f.StartsWith(Path.Combine(dataDir, "keys") + "/", StringComparison.Ordinal));
        foreach (var file in files)
        {
            Assert.True(OwnerOnlyFile == File.GetUnixFileMode(file), $"{file}: {File.GetUnixFileMode(file)}");
        }
    }

    /// <summary>The broker's files: the database and its companions, admin.key, the key ring, the JSONL copy.</summary>
    private static string[] OwnFiles(string dataDir) =>
        Directory.EnumerateFiles(dataDir, "broker.db*")
            .Append(Path.Combine(dataDir, "admin.key"))
            .Concat(Directory.EnumerateFiles(Path.Combine(dataDir, "keys")))
            .Concat(Directory.EnumerateFiles(Path.Combine(dataDir, "audit")))
            .ToArray();
}
