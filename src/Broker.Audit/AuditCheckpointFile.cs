using System.Text;
using System.Text.Json;

namespace Broker.Audit;

/// <summary>
/// The checkpoint file (<c>Broker:Audit:CheckpointPath</c>): one <see cref="AuditCheckpoint"/> per line, appended
/// and fsynced before the append returns, created <c>0600</c>, never rewritten. Meant for another volume or host
/// (a mount, a log shipper): whoever can rewrite the database should not be able to rewrite this file too.
/// </summary>
public sealed class AuditCheckpointFile : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public AuditCheckpointFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FilePath = Path.GetFullPath(path);
    }

    public string FilePath { get; }

    public async Task AppendAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var line = JsonSerializer.SerializeToUtf8Bytes(checkpoint, AuditJsonContext.Default.AuditCheckpoint);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var directory = Path.GetDirectoryName(FilePath);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using var stream = new FileStream(FilePath, options);
            await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The tenant's checkpoint with the highest id in the file, or null (also when there is no file).</summary>
    public AuditCheckpoint? LatestFor(string tenant)
    {
        AuditCheckpoint? latest = null;
        foreach (var checkpoint in Read(FilePath).Checkpoints)
        {
            if (checkpoint.Tenant == tenant && (latest is null || checkpoint.Id > latest.Id))
            {
                latest = checkpoint;
            }
        }

        return latest;
    }

    /// <summary>
    /// Reads every checkpoint line of a file (the checkpoint file or a JSONL export, whose record lines are skipped).
    /// A line that is neither a record nor a well-formed checkpoint is counted in <c>Malformed</c>; no file reads as empty.
    /// </summary>
    public static (IReadOnlyList<AuditCheckpoint> Checkpoints, int Malformed) Read(string path)
    {
        var checkpoints = new List<AuditCheckpoint>();
        var malformed = 0;
        if (!File.Exists(path))
        {
            return (checkpoints, 0);
        }

        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            switch (AuditJsonl.Parse(line))
            {
                case AuditCheckpoint checkpoint:
                    checkpoints.Add(checkpoint);
                    break;
                case null:
                    malformed++;
                    break;
            }
        }

        return (checkpoints, malformed);
    }

    public void Dispose() => _gate.Dispose();
}
