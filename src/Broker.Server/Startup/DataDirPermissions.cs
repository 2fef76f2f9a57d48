using System.Runtime.Versioning;
using Broker.Audit;
using Broker.Server.Hosting;

namespace Broker.Server.Startup;

/// <summary>
/// The data directory holds the store, the Data Protection key ring, admin.key and the JSONL audit copy: it is owner-only
/// on every start. Directories get 0700 and files 0600; anything looser (a store from an older version, a copy, a
/// restore from backup) is tightened and logged by path. Only the broker's own paths are touched, never the rest of
/// what the data directory's parent or a mistaken <c>Broker:DataDir</c> may hold.
/// </summary>
public static class DataDirPermissions
{
    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The database file and SQLite's companions of it: the write-ahead log, its index, a rollback journal.</summary>
    private static readonly string[] SqliteSuffixes = ["", "-wal", "-shm", "-journal"];

    /// <summary>
    /// Creates the data directory, the key ring directory and the JSONL copy's directory (when under the data
    /// directory) owner-only, and tightens whatever of the broker's is already there.
    /// </summary>
    public static void Secure(BrokerPaths paths, AuditOptions audit, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(paths.KeyRingDir);
            return;
        }

        Directory.CreateDirectory(paths.DataDir, OwnerOnlyDirectory);
        Directory.CreateDirectory(paths.KeyRingDir, OwnerOnlyDirectory);
        if (Path.GetDirectoryName(JsonlUnderDataDir(paths, audit)) is { } jsonlDirectory)
        {
            // Before the JSONL sink would create it with the default mode.
            Directory.CreateDirectory(jsonlDirectory, OwnerOnlyDirectory);
        }

        Tighten(paths.DataDir, OwnerOnlyDirectory, logger);
        Tighten(paths.KeyRingDir, OwnerOnlyDirectory, logger);
        foreach (var directory in JsonlDirectories(paths, audit))
        {
            Tighten(directory, OwnerOnlyDirectory, logger);
        }

        foreach (var file in OwnFiles(paths, audit))
        {
            Tighten(file, OwnerOnlyFile, logger);
        }
    }

    private static IEnumerable<string> OwnFiles(BrokerPaths paths, AuditOptions audit)
    {
        foreach (var suffix in SqliteSuffixes)
        {
            yield return paths.SqliteFile + suffix;
        }

        yield return paths.AdminKeyFile;
        foreach (var file in Directory.EnumerateFiles(paths.KeyRingDir))
        {
            yield return file;
        }

        if (JsonlUnderDataDir(paths, audit) is { } jsonl)
        {
            yield return jsonl;
            for (var i = 1; i <= audit.JsonlMaxFiles; i++)
            {
                yield return JsonlFileAuditSink.RotatedPath(jsonl, i);
            }
        }
    }

    /// <summary>The directories between the data directory and the JSONL copy, when it has its own under the data directory.</summary>
    private static IEnumerable<string> JsonlDirectories(BrokerPaths paths, AuditOptions audit)
    {
        for (var directory = Path.GetDirectoryName(JsonlUnderDataDir(paths, audit));
             directory is not null && IsUnder(directory, paths.DataDir);
             directory = Path.GetDirectoryName(directory))
        {
            yield return directory;
        }
    }

    /// <summary>The JSONL copy, when it lives under the data directory (elsewhere it and its directory are the operator's).</summary>
    private static string? JsonlUnderDataDir(BrokerPaths paths, AuditOptions audit)
    {
        if (string.IsNullOrWhiteSpace(audit.JsonlPath))
        {
            return null;
        }

        var jsonl = Path.GetFullPath(Path.IsPathRooted(audit.JsonlPath) ? audit.JsonlPath : Path.Combine(paths.DataDir, audit.JsonlPath));
        return IsUnder(jsonl, paths.DataDir) ? jsonl : null;
    }

    private static bool IsUnder(string path, string directory) =>
        path.StartsWith(Path.TrimEndingDirectorySeparator(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    [UnsupportedOSPlatform("windows")]
    private static void Tighten(string path, UnixFileMode wanted, ILogger logger)
    {
        UnixFileMode mode;
        try
        {
            // A symbolic link is judged (and changed) by what it points to, as chmod does.
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return;
        }

        if ((mode & ~wanted) == 0)
        {
            return;
        }

        File.SetUnixFileMode(path, wanted);
        logger.LogWarning("{Path} was readable or writable beyond its owner (mode {Old}); set it to {New}", path, Octal(mode), Octal(wanted));
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
