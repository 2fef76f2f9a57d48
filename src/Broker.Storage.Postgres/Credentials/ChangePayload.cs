namespace Broker.Storage.Postgres.Credentials;

/// <summary>The NOTIFY payload of a credential change (short names: a payload is limited to 8000 bytes).</summary>
public sealed record ChangePayload(
    [property: System.Text.Json.Serialization.JsonPropertyName("t")] string Tenant,
    [property: System.Text.Json.Serialization.JsonPropertyName("c")] long Cursor,
    [property: System.Text.Json.Serialization.JsonPropertyName("n")] string Name);
