using System.Text.Json;

namespace Broker.Storage;

public static class StoreJson
{
    public static string Write<T>(T value) => JsonSerializer.Serialize(value);

    private static readonly IReadOnlyDictionary<string, string> NoLabels = new SortedDictionary<string, string>(StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, string> ReadLabels(string json) =>
        json == "{}" ? NoLabels : JsonSerializer.Deserialize<SortedDictionary<string, string>>(json) ?? NoLabels;

    public static IReadOnlyList<string> ReadList(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];
}
