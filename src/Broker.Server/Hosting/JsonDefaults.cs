using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;

namespace Broker.Server.Hosting;

/// <summary>
/// Timestamps on the wire are RFC 3339 UTC with a <c>Z</c>. A value that is not a time throws
/// <see cref="JsonException"/>, which the framework turns into a 400 (any other exception would be a 500).
/// </summary>
internal sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // The message names the expected form only: never the value that was sent.
        if (reader.TokenType != JsonTokenType.String
            || !DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            throw new JsonException("Expected an RFC 3339 time, e.g. 2026-11-23T10:00:00Z.");
        }

        return value.ToUniversalTime();
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
}
