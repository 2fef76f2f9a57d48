using System.Globalization;

namespace Broker.Audit;

/// <summary>
/// The one spelling of an audit time: RFC 3339, UTC, always six fractional digits, <c>Z</c>
/// (<c>2025-01-31T12:34:56.123456Z</c>). The same text is hashed, stored and returned, so a record read back
/// re-hashes to the same value; fixed width also makes stored times sort lexicographically.
/// </summary>
public static class AuditTime
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>Drops what the format cannot carry (sub-microsecond ticks) and moves to UTC.</summary>
    public static DateTimeOffset Normalize(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
    }

    public static string ToText(DateTimeOffset time) =>
        Normalize(time).UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>Reads text written by <see cref="ToText"/>; anything else (a tampered row) gives false.</summary>
    public static bool TryParse(string? text, out DateTimeOffset time)
    {
        if (DateTime.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            time = new DateTimeOffset(DateTime.SpecifyKind(parsed, DateTimeKind.Utc));
            return true;
        }

        time = default;
        return false;
    }

    public static DateTimeOffset Parse(string text) =>
        new(DateTime.SpecifyKind(DateTime.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None), DateTimeKind.Utc));
}
