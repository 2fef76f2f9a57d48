using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Broker.Audit;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Audit;

namespace Broker.Audit.Benchmarks;

/// <summary>
/// The size on disk of the audit trail per record (issue 16, "the size on disk per million records"): appends
/// <c>records</c> typical agent reads (key id, name, target, reason with the version, request id, client address,
/// user agent, value HMAC) to a fresh SQLite database through the real store in group-commit-sized batches, then
/// reports the database file (after a WAL checkpoint), the same records as an archive JSONL file, and the file after
/// retention pruned all but the newest 10 % (SQLite keeps freed pages for reuse: the file stops growing rather than
/// shrinking, unless VACUUMed). Usage: <c>dotnet run -c Release --project bench/Broker.Audit.Benchmarks -- size [records]</c>.
/// </summary>
public static class AuditSizeOnDisk
{
    public static async Task RunAsync(int records)
    {
        var dir = Path.Combine(Path.GetTempPath(), "broker-audit-size", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        try
        {
            var database = new SqliteDatabase(Path.Combine(dir, "broker.db"));
            SqliteMigrations.Apply(database);
            var store = new SqliteAuditStore(database);
            var head = AuditChainHead.Genesis;
            var time = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
            // The value HMAC of what a read served: one per credential version, as in a real trail (1,000 credentials).
            var hmacs = Enumerable.Range(0, 1000).Select(_ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))).ToArray();
            var sw = Stopwatch.StartNew();
            await using (var jsonl = File.Create(Path.Combine(dir, "archive.jsonl")))
            {
                for (var done = 0; done < records;)
                {
                    var batch = new AuditRecord[Math.Min(512, records - done)];
                    for (var i = 0; i < batch.Length; i++, done++)
                    {
                        var entry = new AuditEntry(
                            "default",
                            new AuditActor("key_" + (done % 200).ToString("D8", CultureInfo.InvariantCulture), "payments-agent-" + (done % 200), "agent"),
                            AuditActions.CredentialRead,
                            "db_password_" + (done % 1000),
                            AuditOutcomes.Allowed,
                            "version=" + (done % 50 + 1),
                            Guid.NewGuid().ToString("n"),
                            "10.1." + (done % 250) + "." + (done % 200),
                            "broker-dotnet/1.1 (.NET 10.0)",
                            hmacs[done % 1000]);
                        batch[i] = AuditRecord.Chain(entry, head, time.AddMilliseconds(done));
                        head = batch[i].AsHead;
                        JsonSerializer.Serialize(jsonl, batch[i], AuditJsonContext.Default.AuditRecord);
                        jsonl.WriteByte((byte)'\n');
                    }

                    await store.AppendAsync(batch, CancellationToken.None);
                }
            }

            var db = DatabaseBytes(database, dir);
            var archive = new FileInfo(Path.Combine(dir, "archive.jsonl")).Length;
            Console.WriteLine($"{records:N0} records appended in {sw.Elapsed.TotalSeconds:0.0} s");
            Report("SQLite database (3 indexes, value blocks)", db, records);
            Report("archive JSONL", archive, records);

            // Prune the oldest 90 % as retention does (anchor, batched deletes), then measure again.
            var retention = new SqliteAuditRetentionStore(database);
            var anchorRecord = (await store.ReadChainAsync("default", records * 9L / 10 - 1, 1, CancellationToken.None))[0];
            var anchor = new AuditCheckpoint("default", anchorRecord.Id, anchorRecord.Hash, time, "size-bench", "not-signed-here");
            sw.Restart();
            long deleted = 0;
            int n;
            while ((n = await retention.PruneAsync(anchor, 5_000)) > 0)
            {
                deleted += n;
            }

            Console.WriteLine($"pruned {deleted:N0} records in {sw.Elapsed.TotalSeconds:0.0} s (batches of 5,000)");
            Report("SQLite database after the prune (freed pages kept for reuse)", DatabaseBytes(database, dir), records);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static long DatabaseBytes(SqliteDatabase database, string dir)
    {
        using (var connection = database.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            command.ExecuteNonQuery();
        }

        return Directory.GetFiles(dir, "broker.db*").Sum(f => new FileInfo(f).Length);
    }

    private static void Report(string what, long bytes, int records) =>
        Console.WriteLine($"{what}: {bytes / 1048576.0:0.0} MiB = {(double)bytes / records:0} B/record -> {bytes / (double)records * 1_000_000 / 1048576.0:0} MiB per million records");
}
