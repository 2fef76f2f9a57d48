using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Broker.Audit;
using Broker.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Server.Tests;

/// <summary>
/// Retention: records older than <c>Broker:Audit:Retention</c> are archived (a file that verifies offline) and pruned,
/// the chain continuing from a signed anchor that the broker's verification starts from and still checks.
/// </summary>
public sealed class AuditRetentionTests : IDisposable
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero));
    private readonly FailingRetentionStore.Switch _failure = new();
    private readonly BrokerApp _app;

    public AuditRetentionTests()
    {
        _app = new BrokerApp(_time, new Dictionary<string, string?>
        {
            ["Broker:Audit:Retention"] = "30.00:00:00",
            ["Broker:Audit:PruneBatchSize"] = "3",
            // Tests run retention and checkpoints when they choose, not on a timer.
            ["Broker:Audit:RetentionInterval"] = "00:00:00",
            ["Broker:Audit:CheckpointInterval"] = "00:00:00",
        }, services: s => s.Decorate(_failure));
    }

    public void Dispose() => _app.Dispose();

    private AuditRetention Retention_ => _app.Services.GetRequiredService<AuditRetention>();

    private async Task<long> HeadIdAsync() => (await _app.Services.GetRequiredService<IAuditStore>().GetHeadAsync("default", default)).Id;

    private async Task WriteRecordsAsync(int count, string prefix = "c")
    {
        for (var i = 0; i < count; i++)
        {
            await _app.PutAsync(prefix + i, "value-" + i + "-retained");
        }
    }

    private async Task<JsonNode> VerifyOwnAsync()
    {
        using var admin = _app.Admin();
        return await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit/verify"));
    }

    private async Task<string> JwksAsync()
    {
        using var anonymous = _app.CreateClient();
        return await anonymous.GetStringAsync("/.well-known/audit-keys.json");
    }

    private async Task<long[]> StoredIdsAsync() =>
        (await _app.Services.GetRequiredService<IAuditStore>().ReadChainAsync("default", long.MinValue, 100_000, default)).Select(r => r.Id).ToArray();

    private static long[] ArchivedIds(string path) =>
        File.ReadLines(path).Select(AuditJsonl.Parse).OfType<AuditRecord>().Select(r => r.Id).ToArray();

    private void Sql(params string[] statements)
    {
        using var connection = _app.Services.GetRequiredService<SqliteDatabase>().Open();
        foreach (var sql in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    private async Task<(AuditPruneResult Result, long OldHead)> AgeAndPruneAsync()
    {
        await WriteRecordsAsync(4);
        var oldHead = await HeadIdAsync();
        _time.Advance(Retention + TimeSpan.FromDays(1));
        await WriteRecordsAsync(2, "new");
        var result = Assert.Single(await Retention_.RunAsync());
        return (result, oldHead);
    }

    [Fact]
    public async Task Prune_ArchivesOldRecordsToAFileThatVerifiesOffline_AndTheChainStillVerifies()
    {
        var (result, oldHead) = await AgeAndPruneAsync();

        Assert.Equal(oldHead, result.Anchor.Id);
        Assert.Equal(oldHead, result.Archived);
        Assert.Equal(oldHead, result.Deleted);
        Assert.Equal(Enumerable.Range(1, (int)oldHead).Select(i => (long)i), ArchivedIds(result.ArchiveFile));
        var offline = AuditFileVerifier.Verify([result.ArchiveFile], [], await JwksAsync());
        Assert.True(offline.Valid);
        Assert.Equal(oldHead, offline.Records);

        var stored = await StoredIdsAsync();
        Assert.Equal(oldHead + 1, stored[0]);
        Assert.True((await VerifyOwnAsync())["valid"]!.GetValue<bool>());
        Assert.True((await _app.Services.GetRequiredService<AuditVerifier>().VerifyAsync("default")).Valid);
        using (var admin = _app.Admin())
        {
            using var head = await admin.GetAsync("/v1/audit/head");
            var checkpoint = (await head.Content.ReadFromJsonAsync<AuditCheckpoint>(BrokerApp.Web))!;
            using var response = await admin.PostAsJsonAsync("/v1/audit/verify", new { checkpoints = new[] { checkpoint } });
            Assert.True((await BrokerApp.JsonAsync(response))["valid"]!.GetValue<bool>());
        }

        // The prune is itself in the trail, with what it did.
        var prune = Assert.Single(await AuditTrail.ReadAsync(_app, AuditActions.AuditPrune));
        var reason = AuditTrail.Str(prune, "reason")!;
        Assert.Contains($"count={oldHead}", reason, StringComparison.Ordinal);
        Assert.Contains($"anchorId={oldHead} anchorHash={result.Anchor.Hash}", reason, StringComparison.Ordinal);

        // Nothing newly old: nothing to do.
        Assert.Empty(await Retention_.RunAsync());

        // The next prune continues from the anchor: its archive starts after it, verifies alone and with the first.
        await WriteRecordsAsync(3, "later");
        _time.Advance(Retention + TimeSpan.FromDays(1));
        await WriteRecordsAsync(1, "latest");
        var second = Assert.Single(await Retention_.RunAsync());
        Assert.Equal(oldHead + 1, ArchivedIds(second.ArchiveFile)[0]);
        Assert.True(AuditFileVerifier.Verify([second.ArchiveFile], [], await JwksAsync()).Valid);
        Assert.True(AuditFileVerifier.Verify([result.ArchiveFile, second.ArchiveFile], [], await JwksAsync()).Valid);
        Assert.Equal(second.Anchor.Id + 1, (await StoredIdsAsync())[0]);
        Assert.True((await VerifyOwnAsync())["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Prune_IsOffByDefault_AndNeverTakesTheNewestRecords()
    {
        using var keepForever = new BrokerApp(_time, new Dictionary<string, string?> { ["Broker:Audit:CheckpointInterval"] = "00:00:00" });
        await keepForever.PutAsync("c", "value-kept-forever");
        _time.Advance(Retention + TimeSpan.FromDays(1));
        Assert.Empty(await keepForever.Services.GetRequiredService<AuditRetention>().RunAsync());

        // Everything old: all is archived but the chain keeps going from the prune record on.
        await WriteRecordsAsync(3);
        _time.Advance(Retention + TimeSpan.FromDays(1));
        var result = Assert.Single(await Retention_.RunAsync());
        var stored = await StoredIdsAsync();
        Assert.Equal(result.Anchor.Id + 1, Assert.Single(stored));
        await WriteRecordsAsync(1, "after");
        Assert.True((await VerifyOwnAsync())["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task TamperedAnchor_IsDetected()
    {
        var (result, _) = await AgeAndPruneAsync();
        Sql("DROP TRIGGER tr_audit_anchors_forward",
            "UPDATE audit_anchors SET time = '2026-01-01T00:00:00.000000Z' WHERE tenant = 'default'");

        var verify = await VerifyOwnAsync();
        Assert.False(verify["valid"]!.GetValue<bool>());
        Assert.Equal("anchor_signature", verify["reason"]!.GetValue<string>());
        Assert.Equal(result.Anchor.Id + 1, verify["brokenAt"]!.GetValue<long>());
    }

    [Fact]
    public async Task CutRightAfterTheAnchor_IsDetected()
    {
        var (result, _) = await AgeAndPruneAsync();
        Sql("DROP TRIGGER tr_audit_records_no_delete", $"DELETE FROM audit_records WHERE tenant = 'default' AND id = {result.Anchor.Id + 1}");

        var verify = await VerifyOwnAsync();
        Assert.False(verify["valid"]!.GetValue<bool>());
        Assert.Equal(result.Anchor.Id + 2, verify["brokenAt"]!.GetValue<long>());
        Assert.False((await _app.Services.GetRequiredService<AuditVerifier>().VerifyAsync("default")).Valid);
    }

    [Fact]
    public async Task AnchorMovedToALaterSignedCheckpoint_WithTheRecordsUpToItCut_IsDetected()
    {
        var (result, _) = await AgeAndPruneAsync();
        await WriteRecordsAsync(3, "more");
        var later = Assert.Single(await _app.Services.GetRequiredService<AuditCheckpointWriter>().WriteCheckpointsAsync());
        await WriteRecordsAsync(1, "last");
        Assert.True(later.Id > result.Anchor.Id + 1);

        // A validly signed checkpoint as the anchor, every record up to it deleted: the chain links to it perfectly.
        Sql("DROP TRIGGER tr_audit_anchors_forward", "DROP TRIGGER tr_audit_records_no_delete",
            $"UPDATE audit_anchors SET id = {later.Id}, hash = '{later.Hash}', time = '{AuditTime.ToText(later.Time)}', kid = '{later.Kid}', signature = '{later.Signature}' WHERE tenant = 'default'",
            $"DELETE FROM audit_records WHERE tenant = 'default' AND id <= {later.Id}");

        var verify = await VerifyOwnAsync();
        Assert.False(verify["valid"]!.GetValue<bool>());
        Assert.Equal("anchor_unrecorded", verify["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Triggers_RefuseADeleteAboveTheAnchor_AndAnAnchorMovedBack()
    {
        await WriteRecordsAsync(1);
        Assert.ThrowsAny<Exception>(() => Sql("DELETE FROM audit_records WHERE tenant = 'default'"));
        Sql("INSERT INTO audit_anchors (tenant, id, hash, time, kid, signature) VALUES ('t', 5, 'h', 't', 'k', 's')");
        Assert.ThrowsAny<Exception>(() => Sql("UPDATE audit_anchors SET id = 4 WHERE tenant = 't'"));
        Assert.ThrowsAny<Exception>(() => Sql("DELETE FROM audit_anchors"));
    }

    [Fact]
    public async Task CrashAfterTheArchive_BeforeTheDelete_ReRunsWithoutDuplicatesOrLoss()
    {
        await WriteRecordsAsync(4);
        var oldHead = await HeadIdAsync();
        _time.Advance(Retention + TimeSpan.FromDays(1));
        await WriteRecordsAsync(2, "new");

        _failure.FailNextPrunes = 1;
        await Assert.ThrowsAsync<IOException>(() => Retention_.RunAsync());
        var archive = Assert.Single(Directory.GetFiles(Retention_.ArchiveDirectory, "*.jsonl"));
        Assert.Equal(1, (await StoredIdsAsync())[0]);

        // Meanwhile more records grew old: the re-run first completes the interrupted prune with its archive as it is.
        _time.Advance(Retention + TimeSpan.FromDays(1));
        await WriteRecordsAsync(1, "newest");
        var resumed = Assert.Single(await Retention_.RunAsync());
        Assert.Equal(archive, resumed.ArchiveFile);
        Assert.Equal(oldHead, resumed.Anchor.Id);
        Assert.Equal(oldHead, resumed.Deleted);
        Assert.True((await VerifyOwnAsync())["valid"]!.GetValue<bool>());

        // A crash in the middle of the deletes (anchor stored, some records still below it): still valid, and finished next time.
        _failure.FailAfterPrunes = 1;
        await Assert.ThrowsAsync<IOException>(() => Retention_.RunAsync());
        Assert.True((await VerifyOwnAsync())["valid"]!.GetValue<bool>());
        var next = Assert.Single(await Retention_.RunAsync());
        Assert.Equal(next.Anchor.Id + 1, (await StoredIdsAsync())[0]);

        // Every record is in exactly one archive, in order, and the archives verify together.
        var files = Directory.GetFiles(Retention_.ArchiveDirectory, "*.jsonl").Order(StringComparer.Ordinal).ToArray();
        var archived = files.SelectMany(ArchivedIds).ToArray();
        Assert.Equal(Enumerable.Range(1, archived.Length).Select(i => (long)i), archived);
        Assert.Equal((await StoredIdsAsync())[0] - 1, archived[^1]);
        Assert.True(AuditFileVerifier.Verify(files, [], await JwksAsync()).Valid);
        Assert.True((await VerifyOwnAsync())["valid"]!.GetValue<bool>());
    }
}

/// <summary>The SQLite retention store, failing on cue: a crash between the archive and the delete, or in the middle of the deletes.</summary>
internal sealed class FailingRetentionStore(IAuditRetentionStore inner, FailingRetentionStore.Switch failure) : IAuditRetentionStore
{
    public Task<AuditCheckpoint?> GetAnchorAsync(string tenant, CancellationToken cancellationToken = default) => inner.GetAnchorAsync(tenant, cancellationToken);

    public Task<IReadOnlyList<string>> ListTenantsWithRecordsBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        inner.ListTenantsWithRecordsBeforeAsync(before, cancellationToken);

    public Task<long?> GetLastIdBeforeAsync(string tenant, DateTimeOffset before, CancellationToken cancellationToken = default) =>
        inner.GetLastIdBeforeAsync(tenant, before, cancellationToken);

    public Task<IAsyncDisposable?> TryLeaseRunAsync(CancellationToken cancellationToken = default) => inner.TryLeaseRunAsync(cancellationToken);

    public async Task<int> PruneAsync(AuditCheckpoint anchor, int batchSize, CancellationToken cancellationToken = default)
    {
        if (failure.FailNextPrunes > 0)
        {
            failure.FailNextPrunes--;
            throw new IOException("Simulated crash before the delete.");
        }

        if (failure.FailAfterPrunes is { } after)
        {
            if (after == 0)
            {
                failure.FailAfterPrunes = null;
                throw new IOException("Simulated crash in the middle of the deletes.");
            }

            failure.FailAfterPrunes = after - 1;
        }

        return await inner.PruneAsync(anchor, batchSize, cancellationToken);
    }

    public sealed class Switch
    {
        public int FailNextPrunes { get; set; }

        public int? FailAfterPrunes { get; set; }
    }
}

internal static class FailingRetentionStoreRegistration
{
    public static void Decorate(this IServiceCollection services, FailingRetentionStore.Switch failure) =>
        services.Replace(ServiceDescriptor.Singleton<IAuditRetentionStore>(sp => new FailingRetentionStore(new SqliteAuditRetentionStoreFactory(sp).Create(), failure)));
}

internal sealed class SqliteAuditRetentionStoreFactory(IServiceProvider services)
{
    public Broker.Storage.Sqlite.Audit.SqliteAuditRetentionStore Create() => new(services.GetRequiredService<SqliteDatabase>());
}
