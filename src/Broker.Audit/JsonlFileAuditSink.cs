using System.Buffers;
using System.Text.Json;

namespace Broker.Audit;

/// <summary>
/// Appends each committed record as one JSON line (the wire shape, <see cref="AuditJsonContext"/>) to a file and
/// rotates by size: when the next line would take <c>audit.jsonl</c> past <c>maxBytes</c> it becomes
/// <c>audit.1.jsonl</c>, the old <c>.1</c> becomes <c>.2</c>, and so on up to <c>maxFiles</c>; the oldest is deleted.
/// Lines are flushed to the OS per batch, not fsynced: the database is the durable record, this is a copy
/// (useful to ship elsewhere and to catch a truncated tail of the database chain). Checkpoints are written as lines
/// of their own (<see cref="AuditCheckpoint"/>, <c>"type":"checkpoint"</c>) after the records they cover.
/// </summary>
public sealed class JsonlFileAuditSink : IAuditSink, IAuditCheckpointSink, IDisposable
{
    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _maxFiles;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private FileStream? _stream;
    private long _size;

    public JsonlFileAuditSink(string path, long maxBytes, int maxFiles = 10)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFiles, 1);
        _path = Path.GetFullPath(path);
        _maxBytes = maxBytes;
        _maxFiles = maxFiles;
    }

    /// <summary>The full path of the live file.</summary>
    public string FilePath => _path;

    public ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        return WriteLinesAsync(records.Count, (writer, i) => JsonSerializer.Serialize(writer, records[i], AuditJsonContext.Default.AuditRecord), cancellationToken);
    }

    public ValueTask WriteCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return WriteLinesAsync(1, (writer, _) => JsonSerializer.Serialize(writer, checkpoint, AuditJsonContext.Default.AuditCheckpoint), cancellationToken);
    }

    private async ValueTask WriteLinesAsync(int count, Action<Utf8JsonWriter, int> serialize, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = _stream ??= Open();
            for (var i = 0; i < count; i++)
            {
                _buffer.ResetWrittenCount();
                using (var writer = new Utf8JsonWriter(_buffer))
                {
                    serialize(writer, i);
                }

                _buffer.Write("\n"u8);
                if (_size > 0 && _size + _buffer.WrittenCount > _maxBytes)
                {
                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                    await stream.DisposeAsync().ConfigureAwait(false);
                    _stream = null;
                    Rotate();
                    stream = _stream = Open();
                }

                await stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                _size += _buffer.WrittenCount;
            }

            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Start from a fresh handle next time rather than from a stream in an unknown state.
            _stream?.Dispose();
            _stream = null;
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
        _gate.Dispose();
    }

    /// <summary><c>dir/audit.jsonl</c> with index 2 is <c>dir/audit.2.jsonl</c>.</summary>
    public static string RotatedPath(string path, int index)
    {
        var directory = Path.GetDirectoryName(path) ?? string.Empty;
        return Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(path)}.{index}{Path.GetExtension(path)}");
    }

    private void Rotate()
    {
        File.Delete(RotatedPath(_path, _maxFiles));
        for (var i = _maxFiles - 1; i >= 1; i--)
        {
            var from = RotatedPath(_path, i);
            if (File.Exists(from))
            {
                File.Move(from, RotatedPath(_path, i + 1), overwrite: true);
            }
        }

        File.Move(_path, RotatedPath(_path, 1), overwrite: true);
    }

    private FileStream Open()
    {
        var directory = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(_path, options);
        _size = stream.Length;
        return stream;
    }
}
