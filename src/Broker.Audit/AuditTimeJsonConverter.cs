using System.Text.Json;
using System.Text.Json.Serialization;

namespace Broker.Audit;

/// <summary>Writes an audit time exactly as it was hashed (<see cref="AuditTime.Format"/>); reads any RFC 3339 time.</summary>
public sealed class AuditTimeJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        AuditTime.Normalize(reader.GetDateTimeOffset());

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(AuditTime.ToText(value));
}
