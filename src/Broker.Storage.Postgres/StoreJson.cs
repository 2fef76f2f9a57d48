using System.Text.Json;

namespace Broker.Storage.Postgres;

internal static class StoreJson
{
    public static string Write<T>(T value) => JsonSerializer.Serialize(value);

    public static IReadOnlyDictionary<string, string> ReadLabels(string json) =>
        JsonSerializer.Deserialize<SortedDictionary<string, string>>(json) ?? new SortedDictionary<string, string>(StringComparer.Ordinal);

    public static IReadOnlyList<string> ReadList(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];
}
