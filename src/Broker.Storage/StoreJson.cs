using System.Text.Json;

namespace Broker.Storage;

public static class StoreJson
{
    public static string Write<T>(T value) => JsonSerializer.Serialize(value);

    private static readonly IReadOnlyDictionary<string, string> NoLabels = new SortedDictionary<string, string>(StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, string> ReadLabels(string json) =>
        json == "{}" ? NoLabels : JsonSerializer.Deserialize<SortedDictionary<string, string>>(json) ?? NoLabels;

    public static IReadOnlyList<string> ReadList(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];

    private static readonly JsonSerializerOptions Grants = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>An agent key's grants as stored (camelCase, as on the wire); <c>{}</c>: no grant at all.</summary>
    public static Broker.Core.Grants.AgentGrants ReadGrants(string json) =>
        JsonSerializer.Deserialize<Broker.Core.Grants.AgentGrants>(json, Grants) ?? Broker.Core.Grants.AgentGrants.None;

    public static string WriteGrants(Broker.Core.Grants.AgentGrants? grants) => grants is null ? "{}" : JsonSerializer.Serialize(grants, Grants);
}
