namespace Broker.Cli.Commands;

/// <summary>Repeatable <c>key=value</c> options (<c>--label</c>, <c>--claim</c>) and how such maps are shown.</summary>
internal static class KeyValues
{
    /// <summary>The pairs given as <paramref name="option"/> (a later key wins); a pair without a key is a usage error naming <paramref name="shape"/>.</summary>
    public static Dictionary<string, string> Parse(string option, string shape, IEnumerable<string>? pairs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                throw new CliException($"{option} '{pair}' is not {shape}.");
            }

            map[pair[..at]] = pair[(at + 1)..];
        }

        return map;
    }

    /// <summary><c>a=1,b=2</c>; null (shown as <c>-</c>) for none.</summary>
    public static string? Format(IReadOnlyDictionary<string, string>? map) =>
        map is null || map.Count == 0 ? null : string.Join(",", map.Select(p => p.Key + "=" + p.Value));
}
