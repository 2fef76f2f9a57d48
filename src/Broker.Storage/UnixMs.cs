namespace Broker.Storage;

/// <summary>Times are stored as Unix milliseconds, UTC.</summary>
public static class UnixMs
{
    public static long From(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    public static long? From(DateTimeOffset? value) => value?.ToUnixTimeMilliseconds();

    public static DateTimeOffset To(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    public static DateTimeOffset? To(long? value) => value is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(value.Value);
}
