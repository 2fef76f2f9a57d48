using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;

namespace Broker.Client.Internal;

/// <summary>The last good set of credentials, encrypted with Data Protection, one file per (endpoint, key).</summary>
internal sealed class DiskCache
{
    private readonly string _path;
    private readonly IDataProtector _protector;
    private readonly ILogger _logger;
    private readonly object _gate = new();

    public DiskCache(string directory, Uri endpoint, string apiKey, IDataProtectionProvider provider, ILogger logger)
    {
        // The file name must not reveal the key; a truncated hash of it only tells agents apart.
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(endpoint.AbsoluteUri + "\n" + apiKey)).AsSpan(0, 12));
        _path = Path.Combine(directory, $"broker-{id}.cache");
        _protector = provider.CreateProtector("Broker.Client.DiskCache.v1", id);
        _logger = logger;
    }

    public string FilePath => _path;

    public void Save(CacheState state, DateTimeOffset now)
    {
        try
        {
            var dto = new DiskCacheDto
            {
                Cursor = state.Cursor,
                SavedAt = now,
                Credentials = state.Credentials.Values.Select(c => new CredentialDto { Name = c.Name, Kind = c.Kind, Version = c.Version, Value = c.Value, UpdatedAt = c.UpdatedAt }).ToList(),
            };
            var plain = JsonSerializer.SerializeToUtf8Bytes(dto, Wire.Json);
            byte[] sealedBytes;
            try
            {
                sealedBytes = _protector.Protect(plain);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plain);
            }

            lock (_gate)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                var temp = _path + "." + Guid.NewGuid().ToString("N") + ".tmp";
                var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
                if (!OperatingSystem.IsWindows())
                {
                    fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var stream = new FileStream(temp, fileOptions))
                {
                    stream.Write(sealedBytes);
                    stream.Flush(true);
                }

                File.Move(temp, _path, overwrite: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            _logger.LogWarning("Could not write the broker disk cache at {Path}: {Error}", _path, ex.Message);
        }
    }

    public CacheState? TryLoad(out DateTimeOffset savedAt)
    {
        savedAt = default;
        try
        {
            if (!File.Exists(_path))
            {
                return null;
            }

            var plain = _protector.Unprotect(File.ReadAllBytes(_path));
            try
            {
                var dto = JsonSerializer.Deserialize<DiskCacheDto>(plain, Wire.Json);
                if (dto is null)
                {
                    return null;
                }

                savedAt = dto.SavedAt;
                var map = dto.Credentials.ToDictionary(c => c.Name, c => c.ToModel(), StringComparer.Ordinal);
                return new CacheState(System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(map, StringComparer.Ordinal), dto.Cursor, null);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plain);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or JsonException)
        {
            _logger.LogWarning("Could not read the broker disk cache at {Path}: {Error}", _path, ex.GetType().Name);
            return null;
        }
    }
}
