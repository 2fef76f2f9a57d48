using Broker.Keys;
using Broker.Storage.Rows;
using Microsoft.Extensions.Logging;

namespace Broker.Storage;

/// <summary>
/// Turns key rows into records for the key stores, leaving out (and logging, by id only) a row whose role is unknown:
/// the store then answers as if that key did not exist, so it authenticates as an unknown key and nothing reads it
/// as any role. Such a row means the database was changed outside the broker (or by a newer version).
/// </summary>
public static partial class KeyRowReader
{
    public static ApiKeyRecord? Read(ApiKeyRow? row, ILogger logger)
    {
        if (row is null)
        {
            return null;
        }

        if (row.TryToRecord(out var record))
        {
            return record;
        }

        LogUnknownRole(logger, row.Id);
        return null;
    }

    public static IReadOnlyList<ApiKeyRecord> ReadAll(IEnumerable<ApiKeyRow> rows, ILogger logger)
    {
        var records = new List<ApiKeyRecord>();
        foreach (var row in rows)
        {
            if (Read(row, logger) is { } record)
            {
                records.Add(record);
            }
        }

        return records;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error,
        Message = "Store inconsistency: key {KeyId} has a role the broker does not know; the key is refused as unknown. Revoke or repair its row.")]
    private static partial void LogUnknownRole(ILogger logger, string keyId);
}
