using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Audit.Tests;

public sealed class JsonlFileAuditSinkTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "broker-audit-jsonl", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task WritesOneJsonLinePerRecord_InTheWireShape()
    {
        var path = Path.Combine(_directory, "audit.jsonl");
        using var sink = new JsonlFileAuditSink(path, 1024 * 1024);
        var records = Chain("t1", 3);

        await sink.WriteAsync(records, CancellationToken.None);

        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        using var json = JsonDocument.Parse(lines[0]);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("id").GetInt64());
        Assert.Equal("2025-06-01T08:00:00.000000Z", root.GetProperty("time").GetString());
        Assert.Equal("t1", root.GetProperty("tenant").GetString());
        Assert.Equal("key-1", root.GetProperty("actor").GetProperty("keyId").GetString());
        Assert.Equal("agent", root.GetProperty("actor").GetProperty("role").GetString());
        Assert.Equal(AuditActions.CredentialRead, root.GetProperty("action").GetString());
        Assert.Equal("allowed", root.GetProperty("outcome").GetString());
        Assert.Equal("req-1", root.GetProperty("requestId").GetString());
        Assert.Equal(records[0].PrevHash, root.GetProperty("prevHash").GetString());
        Assert.Equal(records[0].Hash, root.GetProperty("hash").GetString());
        Assert.False(root.TryGetProperty("asHead", out _));
        Assert.False(root.TryGetProperty("reason", out _));

        // A line read back re-hashes to its hash: the file is an independent, verifiable copy.
        var back = lines.Select(l => JsonSerializer.Deserialize(l, AuditJsonContext.Default.AuditRecord)!).ToList();
        Assert.Equal(records, back);
    }

    [Fact]
    public async Task RotatesBySize_KeepingAtMostMaxFiles()
    {
        var path = Path.Combine(_directory, "audit.jsonl");
        var records = Chain("t1", 40);
        var lineBytes = File.Exists(path) ? 0 : LineLength(records[0]);
        using var sink = new JsonlFileAuditSink(path, maxBytes: (lineBytes * 4) + 10, maxFiles: 3);

        foreach (var batch in records.Chunk(7))
        {
            await sink.WriteAsync(batch, CancellationToken.None);
        }

        Assert.True(File.Exists(JsonlFileAuditSink.RotatedPath(path, 1)));
        Assert.True(File.Exists(JsonlFileAuditSink.RotatedPath(path, 3)));
        Assert.False(File.Exists(JsonlFileAuditSink.RotatedPath(path, 4)));
        string[] files = [JsonlFileAuditSink.RotatedPath(path, 3), JsonlFileAuditSink.RotatedPath(path, 2), JsonlFileAuditSink.RotatedPath(path, 1), path];
        foreach (var file in files)
        {
            Assert.InRange(new FileInfo(file).Length, 1, (lineBytes * 4) + 10);
        }

        // Oldest to newest, the kept files hold the newest records in order with nothing missing in between.
        var ids = files.SelectMany(File.ReadAllLines).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(41 - ids.Count, ids.Count).Select(i => (long)i), ids);
        Assert.Equal("audit.2.jsonl", Path.GetFileName(JsonlFileAuditSink.RotatedPath(path, 2)));
    }

    [Fact]
    public async Task FailingSink_IsLogged_NotFatal_AndOtherSinksStillGetTheRecords()
    {
        var store = new InMemoryAuditStore();
        var collector = new FakeLogCollector();
        var logger = new FakeLogger<GroupCommitAuditLog>(collector);
        var good = new SignallingSink();
        IAuditSink[] sinks = [new ThrowingSink(), good];

        await using (var log = new GroupCommitAuditLog(store, sinks, Options.Create(new AuditOptions()), new FakeTimeProvider(), logger))
        {
            await log.RecordAsync(Entries.Read("t1", 1));
            await log.RecordAsync(Entries.Read("t1", 2));
        }

        Assert.Equal(2, store.All("t1").Count);
        Assert.Equal(["req-1", "req-2"], good.Records.Select(r => r.RequestId));
        Assert.Contains(collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("ThrowingSink", StringComparison.Ordinal));
    }

    private static int LineLength(AuditRecord record) =>
        JsonSerializer.SerializeToUtf8Bytes(record, AuditJsonContext.Default.AuditRecord).Length + 1;

    private static List<AuditRecord> Chain(string tenant, int count)
    {
        var head = AuditChainHead.Genesis;
        var records = new List<AuditRecord>();
        for (var i = 1; i <= count; i++)
        {
            var record = AuditRecord.Chain(Entries.Read(tenant, i), head, new DateTimeOffset(2025, 6, 1, 8, 0, 0, TimeSpan.Zero));
            records.Add(record);
            head = record.AsHead;
        }

        return records;
    }

    private sealed class ThrowingSink : IAuditSink
    {
        public ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken) =>
            throw new IOException("disk full");
    }

    private sealed class SignallingSink : IAuditSink
    {
        public List<AuditRecord> Records { get; } = [];

        public ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
        {
            Records.AddRange(records);
            return ValueTask.CompletedTask;
        }
    }
}
