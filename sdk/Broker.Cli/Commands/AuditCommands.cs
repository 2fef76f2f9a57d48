using System.CommandLine;
using Broker.Cli.Verification;
using Broker.Client.Admin;

namespace Broker.Cli.Commands;

/// <summary><c>broker audit …</c>: tail (and follow) the trail, verify it on the broker or offline from an exported file, find reads of a value.</summary>
internal static class AuditCommands
{
    private const int PageSize = 1000;

    public static Command Build(CliHost host) => new("audit", "Read and verify the tamper-evident audit trail.")
    {
        Tail(host), Verify(host), VerifyFile(host), ValueReads(host),
    };

    public static void WriteRecords(Output output, IEnumerable<BrokerAuditRecord> records) =>
        output.Table(
            ["TIME", "ID", "ACTION", "OUTCOME", "ACTOR", "TARGET", "REASON", "CLIENT"],
            records.Select(r => new object?[] { r.Time, r.Id, r.Action, r.Outcome, Actor(r.Actor), r.Target, r.Reason, r.ClientAddress }));

    private static Command Tail(CliHost host)
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new records until interrupted." };
        var action = new Option<string?>("--action") { Description = "Only this action, e.g. key.revoke." };
        var key = new Option<string?>("--key") { Description = "Only records by or about this key id." };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Start at this time (RFC 3339) instead of the last records." };
        var lines = new Option<int>("--lines", "-n") { Description = "How many of the latest records to show first.", DefaultValueFactory = _ => 20 };
        var command = new Command("tail", "Show the latest audit records, oldest first; --follow keeps printing new ones.") { follow, action, key, since, lines };
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            var keyId = c.Get(key);
            bool Wanted(BrokerAuditRecord r) => keyId is null || r.Actor.KeyId == keyId || r.Target == keyId;
            var cursor = new Cursor(c.Get(since), 0);
            var latest = new Queue<BrokerAuditRecord>();
            var count = Math.Max(0, c.Get(lines));
            var from = c.Get(since);
            await foreach (var record in ReadAsync(client, cursor, c.Get(action), c.CancellationToken).ConfigureAwait(false))
            {
                if (Wanted(record))
                {
                    latest.Enqueue(record);
                    if (from is null && latest.Count > count)
                    {
                        latest.Dequeue();
                    }
                }
            }

            var first = latest.ToList();
            if (c.Out.Json && !c.Get(follow))
            {
                c.Out.WriteJson(new { items = first });
                return ExitCodes.Ok;
            }

            Write(c.Out, first, header: true);
            if (!c.Get(follow))
            {
                return ExitCodes.Ok;
            }

            await c.Out.Writer.FlushAsync(c.CancellationToken).ConfigureAwait(false);
            while (!c.CancellationToken.IsCancellationRequested)
            {
                await Task.Delay(c.Host.FollowInterval, c.CancellationToken).ConfigureAwait(false);
                var fresh = new List<BrokerAuditRecord>();
                await foreach (var record in ReadAsync(client, cursor, c.Get(action), c.CancellationToken).ConfigureAwait(false))
                {
                    if (Wanted(record))
                    {
                        fresh.Add(record);
                    }
                }

                Write(c.Out, fresh, header: false);
                await c.Out.Writer.FlushAsync(c.CancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify(CliHost host)
    {
        var command = new Command("verify", "Ask the broker to check the tenant's hash chain. Exit code 6 when it is broken.");
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            var result = await client.VerifyAuditAsync(c.CancellationToken).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(result);
            }
            else if (result.Valid)
            {
                c.Out.Line($"Valid: {result.Count} records, every hash and link holds.");
            }
            else
            {
                c.Out.Line($"BROKEN at record {result.BrokenAt} ({result.Count} records read): a record was edited, deleted or moved.");
            }

            return result.Valid ? ExitCodes.Ok : ExitCodes.VerificationFailed;
        });
        return command;
    }

    private static Command VerifyFile(CliHost host)
    {
        var file = new Argument<string>("file") { Description = "An audit JSONL file (the broker's JSONL sink, or an export)." };
        var checkpoints = new Option<string?>("--checkpoints") { Description = "Signed heads (JSONL or a JSON array) the file must still contain." };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's chain." };
        var command = new Command(
            "verify-file",
            "Verify an exported audit file OFFLINE, without the broker: recompute every hash, check every link and id. Exit code 6 when it does not verify.")
        {
            file, checkpoints, tenant,
        };
        BrokerCli.Handle(command, host, async c =>
        {
            var path = c.Get(file)!;
            var checkpointPath = c.Get(checkpoints);
            AuditFileReport report;
            try
            {
                var heads = checkpointPath is null ? [] : AuditCheckpoint.ReadAll(await File.ReadAllTextAsync(checkpointPath, c.CancellationToken).ConfigureAwait(false));
                using var reader = File.OpenText(path);
                report = await AuditFileVerifier.VerifyAsync(reader, heads, c.Get(tenant), c.CancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"Cannot read {ex.Message}");
            }
            catch (FormatException ex)
            {
                throw new CliException(ex.Message, ExitCodes.VerificationFailed);
            }

            if (c.Out.Json)
            {
                c.Out.WriteJson(report);
                return report.Valid ? ExitCodes.Ok : ExitCodes.VerificationFailed;
            }

            foreach (var chain in report.Tenants)
            {
                var range = chain.Count == 0 ? "no records" : $"records {chain.FirstId}..{chain.LastId} ({chain.Count})";
                var state = chain.Valid ? "valid" : $"BROKEN at record {chain.BrokenAt}: {chain.Problem}";
                c.Out.Line($"tenant {chain.Tenant}: {range}: {state}");
                if (chain.Valid && chain.FirstId > 1)
                {
                    c.Out.Line($"  (starts at record {chain.FirstId}: the records before it are in an older, rotated file; its first link is taken as given)");
                }
            }

            foreach (var checkpoint in report.Checkpoints)
            {
                c.Out.Line($"checkpoint {checkpoint.Tenant}#{checkpoint.Id}: {(checkpoint.Held ? "held" : "NOT HELD: " + checkpoint.Problem)}");
            }

            c.Out.Line(report.Valid ? "The file verifies." : "The file does NOT verify.");
            return report.Valid ? ExitCodes.Ok : ExitCodes.VerificationFailed;
        });
        return command;
    }

    private static Command ValueReads(CliHost host)
    {
        var valueFile = new Option<string?>("--value-file") { Description = "Read the suspect value from this file (default: standard input)." };
        var command = new Command(
            "value-reads",
            "Was this secret value ever served, and to whom? The value is read from standard input (never an argument); the question is itself audited.")
        {
            valueFile,
        };
        BrokerCli.Handle(command, host, async c =>
        {
            var value = await SecretInput.ReadValueAsync(c.Host, c.Get(valueFile), "Value", c.CancellationToken).ConfigureAwait(false);
            using var client = c.Client();
            var reads = await client.FindValueReadsAsync(value, c.CancellationToken).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { items = reads });
                return ExitCodes.Ok;
            }

            if (reads.Count == 0)
            {
                c.Out.Line("The broker never served this value.");
                return ExitCodes.Ok;
            }

            c.Out.Line($"Served {reads.Count} time(s), newest first:");
            WriteRecords(c.Out, reads);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Every record after <paramref name="cursor"/>, oldest first, in pages of 1,000. The broker filters by time
    /// (inclusive), so a page starts at the last time seen and the ids already seen are skipped.
    /// </summary>
    private static async IAsyncEnumerable<BrokerAuditRecord> ReadAsync(
        BrokerAdminClient client, Cursor cursor, string? action, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var page = await client.QueryAuditAsync(new AuditQueryOptions { Since = cursor.Since, Action = action, Limit = PageSize }, cancellationToken).ConfigureAwait(false);
            var fresh = page.Where(r => r.Id > cursor.LastId).ToList();
            foreach (var record in fresh)
            {
                yield return record;
            }

            if (fresh.Count > 0)
            {
                cursor.Since = fresh[^1].Time;
                cursor.LastId = fresh[^1].Id;
            }

            // A short page is the end; a full page of records already seen (one instant) cannot advance.
            if (page.Count < PageSize || fresh.Count == 0)
            {
                yield break;
            }
        }
    }

    private static void Write(Output output, IReadOnlyList<BrokerAuditRecord> records, bool header)
    {
        if (output.Json)
        {
            foreach (var record in records)
            {
                output.WriteJsonLine(record);
            }

            return;
        }

        if (header)
        {
            WriteRecords(output, records);
            return;
        }

        foreach (var r in records)
        {
            output.Line(string.Join("  ", new object?[] { r.Time, r.Id, r.Action, r.Outcome, Actor(r.Actor), r.Target, r.Reason, r.ClientAddress }.Select(Output.Format)));
        }
    }

    private static string Actor(BrokerAuditActor? actor) => actor?.Name is { } name ? $"{name} ({actor.KeyId})" : actor?.KeyId ?? "anonymous";

    private sealed class Cursor(DateTimeOffset? since, long lastId)
    {
        public DateTimeOffset? Since { get; set; } = since;

        public long LastId { get; set; } = lastId;
    }
}
