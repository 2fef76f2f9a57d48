using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Broker.Audit;

/// <summary>
/// Retention (<see cref="AuditOptions.Retention"/>, docs/audit.md "Retention"): for each tenant with records older than
/// the retention, archives them and deletes them, the chain continuing from a signed anchor. In this order, each step
/// durable before the next:
/// <list type="number">
/// <item>the archive file <c>audit-archive-{tenant}-{first}-{last}.jsonl</c> (0600): the previous anchor's checkpoint
/// (when there is one), the records <c>first..last</c>, and a checkpoint of <c>last</c> signed now; written to
/// <c>.partial</c>, fsynced, then renamed, so a file with the final name is whole. It verifies offline with
/// <see cref="AuditFileVerifier"/> (the CLI's <c>audit verify</c>) and the JWKS;</item>
/// <item>an <c>audit.prune</c> record naming the count, the anchor (<c>last</c> and its hash) and the file: a prune is
/// recorded before it happens, and the broker's verification requires that record;</item>
/// <item>the anchor stored and the records at or below it deleted, in batches of <see cref="AuditOptions.PruneBatchSize"/>.</item>
/// </list>
/// A run interrupted anywhere re-runs correctly: records still below a stored anchor are deleted first, and an archive
/// that already starts right after the anchor (written by the interrupted run) is checked (it verifies, and its last
/// checkpoint matches the record in the store) and used as it is, so nothing is archived twice or lost.
/// The newest record is never pruned (the prune record always follows), so a chain always continues from its store.
/// </summary>
public sealed partial class AuditRetention : IDisposable
{
    public const string FilePrefix = "audit-archive-";
    public const string ChainTarget = "chain";

    private const int PageSize = 1_000;
    private readonly IAuditStore _store;
    private readonly IAuditRetentionStore _retention;
    private readonly AuditKeyManager _keys;
    private readonly AuditTrail _audit;
    private readonly IAuditCheckpointStore _checkpoints;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private readonly AuditCheckpointFile? _checkpointFile;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public AuditRetention(
        IAuditStore store,
        IAuditRetentionStore retention,
        AuditKeyManager keys,
        AuditTrail audit,
        IAuditCheckpointStore checkpoints,
        IOptions<AuditOptions> options,
        TimeProvider time,
        string archiveDirectory,
        AuditCheckpointFile? checkpointFile = null,
        ILogger<AuditRetention>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(archiveDirectory);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _retention = retention ?? throw new ArgumentNullException(nameof(retention));
        _keys = keys ?? throw new ArgumentNullException(nameof(keys));
        _audit = audit ?? throw new ArgumentNullException(nameof(audit));
        _checkpoints = checkpoints ?? throw new ArgumentNullException(nameof(checkpoints));
        _options = options.Value;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _checkpointFile = checkpointFile;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        ArchiveDirectory = Path.GetFullPath(archiveDirectory);
    }

    public string ArchiveDirectory { get; }

    /// <summary>Archives and prunes, for every tenant, the records older than the retention; nothing when it is unset.</summary>
    /// <exception cref="AuditUnavailableException">The <c>audit.prune</c> record could not be written (nothing of that tenant was deleted).</exception>
    public async Task<IReadOnlyList<AuditPruneResult>> RunAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Retention is not { } retention || retention <= TimeSpan.Zero)
        {
            return [];
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var lease = await _retention.TryLeaseRunAsync(cancellationToken).ConfigureAwait(false);
            if (lease is null)
            {
                LogLeasedElsewhere(_logger);
                return [];
            }

            var cutoff = _time.GetUtcNow() - retention;
            var results = new List<AuditPruneResult>();
            foreach (var tenant in await _retention.ListTenantsWithRecordsBeforeAsync(cutoff, cancellationToken).ConfigureAwait(false))
            {
                if (await PruneTenantAsync(tenant, cutoff, cancellationToken).ConfigureAwait(false) is { } result)
                {
                    results.Add(result);
                    LogPruned(_logger, result.Deleted, result.Anchor.Id, result.ArchiveFile);
                }
            }

            return results;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The archive file name of a tenant's records <paramref name="first"/>..<paramref name="last"/>.</summary>
    public static string FileName(string tenant, long first, long last) =>
        FormattableString.Invariant($"{FilePrefix}{TenantPart(tenant)}-{first:D12}-{last:D12}.jsonl");

    public void Dispose() => _gate.Dispose();

    private async Task<AuditPruneResult?> PruneTenantAsync(string tenant, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var anchor = await _retention.GetAnchorAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (anchor is not null)
        {
            // An earlier run stored the anchor but stopped before deleting everything below it.
            await DeleteBelowAsync(anchor, cancellationToken).ConfigureAwait(false);
        }

        var first = (anchor?.Id ?? 0) + 1;
        var archive = await FindArchiveAsync(tenant, first, cancellationToken).ConfigureAwait(false);
        if (archive is null)
        {
            var last = await _retention.GetLastIdBeforeAsync(tenant, cutoff, cancellationToken).ConfigureAwait(false);
            if (last is not { } lastId || lastId < first)
            {
                return null;
            }

            archive = await WriteArchiveAsync(tenant, anchor, first, lastId, cancellationToken).ConfigureAwait(false);
        }

        var (path, end, count) = archive.Value;
        var context = new AuditContext(null, "retention-" + Guid.NewGuid().ToString("n"));
        var reason = new AuditReason().Add("count", count).Add("anchorId", end.Id).Add("anchorHash", end.Hash).Add("archive", Path.GetFileName(path)).ToString();
        await _audit.RecordAsync(context, tenant, AuditActions.AuditPrune, ChainTarget, AuditOutcomes.Allowed, reason).ConfigureAwait(false);
        var deleted = await DeleteBelowAsync(end, cancellationToken).ConfigureAwait(false);
        return new AuditPruneResult(tenant, path, end, count, deleted);
    }

    private async Task<long> DeleteBelowAsync(AuditCheckpoint anchor, CancellationToken cancellationToken)
    {
        var batch = Math.Max(1, _options.PruneBatchSize);
        long total = 0;
        while (true)
        {
            var deleted = await _retention.PruneAsync(anchor, batch, cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < batch)
            {
                return total;
            }
        }
    }

    /// <summary>An archive an interrupted run left, starting right after the anchor, whole and matching the store.</summary>
    private async Task<(string Path, AuditCheckpoint End, long Count)?> FindArchiveAsync(string tenant, long first, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(ArchiveDirectory))
        {
            return null;
        }

        var pattern = FormattableString.Invariant($"{FilePrefix}{TenantPart(tenant)}-{first:D12}-*.jsonl");
        foreach (var path in Directory.GetFiles(ArchiveDirectory, pattern).Order(StringComparer.Ordinal))
        {
            var end = AuditCheckpointFile.Read(path).Checkpoints.Where(c => c.Tenant == tenant).MaxBy(c => c.Id);
            var jwks = AuditPublicKey.ToJwks(await _keys.GetPublicKeysAsync(false, cancellationToken).ConfigureAwait(false));
            var verification = AuditFileVerifier.Verify([path], [], jwks);
            var stored = end is null ? [] : await _store.ReadChainAsync(tenant, end.Id - 1, 1, cancellationToken).ConfigureAwait(false);
            if (end is not null && verification.Valid && verification.Records > 0
                && stored.Count == 1 && stored[0].Id == end.Id && stored[0].Hash == end.Hash)
            {
                return (path, end, verification.Records);
            }

            // Not something to build on: keep it for whoever investigates, out of the way of the next runs.
            File.Move(path, path + ".invalid", overwrite: true);
            LogArchiveSetAside(_logger, path);
        }

        return null;
    }

    private async Task<(string Path, AuditCheckpoint End, long Count)> WriteArchiveAsync(
        string tenant, AuditCheckpoint? anchor, long first, long last, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(ArchiveDirectory);
        var path = Path.Combine(ArchiveDirectory, FileName(tenant, first, last));
        var partial = path + ".partial";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        AuditRecord? previous = null;
        long count = 0;
        AuditCheckpoint end;
        await using (var stream = new FileStream(partial, options))
        {
            if (anchor is not null)
            {
                // The checkpoint this file's first record links to: the file verifies on its own.
                await WriteLineAsync(stream, JsonSerializer.SerializeToUtf8Bytes(anchor, AuditJsonContext.Default.AuditCheckpoint), cancellationToken).ConfigureAwait(false);
            }

            var cursor = first - 1;
            while (cursor < last)
            {
                var page = await _store.ReadChainAsync(tenant, cursor, (int)Math.Min(PageSize, last - cursor), cancellationToken).ConfigureAwait(false);
                if (page.Count == 0)
                {
                    break;
                }

                foreach (var record in page)
                {
                    await WriteLineAsync(stream, JsonSerializer.SerializeToUtf8Bytes(record, AuditJsonContext.Default.AuditRecord), cancellationToken).ConfigureAwait(false);
                    previous = record;
                    cursor = record.Id;
                    count++;
                }
            }

            if (previous is null || previous.Id != last)
            {
                throw new InvalidOperationException(FormattableString.Invariant($"The audit chain of a tenant ends before record {last}; nothing was archived."));
            }

            end = await _keys.SignAsync(tenant, previous.AsHead, cancellationToken).ConfigureAwait(false);
            await WriteLineAsync(stream, JsonSerializer.SerializeToUtf8Bytes(end, AuditJsonContext.Default.AuditCheckpoint), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(partial, path, overwrite: true);

        // Also where the other checkpoints are, so the live JSONL files after the archive anchor to it too.
        if (_checkpointFile is not null)
        {
            await _checkpointFile.AppendAsync(end, cancellationToken).ConfigureAwait(false);
        }

        await _checkpoints.AddCheckpointAsync(end, cancellationToken).ConfigureAwait(false);
        return (path, end, count);
    }

    private static async Task WriteLineAsync(FileStream stream, byte[] line, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(NewLine, cancellationToken).ConfigureAwait(false);
    }

    private static readonly byte[] NewLine = "\n"u8.ToArray();

    // A tenant name as it is when it is plainly safe in a file name, otherwise "hex." and its UTF-8 in hex: no two
    // tenants share one ('.' is never in the first form), and '-' stays the separator of the ids.
    private static string TenantPart(string tenant) =>
        tenant.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_')
            ? tenant
            : "hex." + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(tenant));

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "Audit retention pruned {Deleted} records up to id {AnchorId}; archive {Archive}.")]
    private static partial void LogPruned(ILogger logger, long deleted, long anchorId, string archive);

    [LoggerMessage(EventId = 33, Level = LogLevel.Information, Message = "Audit retention skipped: another broker on this store is running it.")]
    private static partial void LogLeasedElsewhere(ILogger logger);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "Audit archive {Archive} does not verify against the store; set aside as .invalid and archived again.")]
    private static partial void LogArchiveSetAside(ILogger logger, string archive);
}
