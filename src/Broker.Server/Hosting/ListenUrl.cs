using System.Text.RegularExpressions;

namespace Broker.Server.Hosting;

/// <summary>
/// A Kestrel listening URL (<c>http://0.0.0.0:8080</c>, <c>http://+:8080</c>, <c>http://[::]:8080</c>): the
/// wildcard hosts mean "every interface", which no client can connect to or fetch an issuer's keys from.
/// </summary>
public static partial class ListenUrl
{
    private static readonly string[] Wildcards = ["0.0.0.0", "[::]", "*", "+"];

    public static bool HasWildcardHost(string url) => Parse(url) is { } parts && Wildcards.Contains(parts.Host, StringComparer.Ordinal);

    /// <summary><paramref name="url"/> with a wildcard host replaced by <paramref name="host"/>; any other URL unchanged.</summary>
    public static string WithHost(string url, string host) =>
        Parse(url) is { } parts && Wildcards.Contains(parts.Host, StringComparer.Ordinal) ? $"{parts.Scheme}://{host}{parts.Tail}" : url;

    /// <summary>
    /// The issuer when <c>Broker:Issuer</c> is unset: the first listening URL, a wildcard host replaced by
    /// <c>localhost</c> (what a client on the same machine, or of a published container port, uses).
    /// </summary>
    public static string DefaultIssuer(string urls)
    {
        var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? BrokerHostBuilderExtensions.DefaultUrl;
        return WithHost(first, "localhost");
    }

    private static (string Scheme, string Host, string Tail)? Parse(string url)
    {
        var match = Pattern().Match(url);
        return match.Success ? (match.Groups["scheme"].Value, match.Groups["host"].Value, match.Groups["rest"].Value) : null;
    }

    [GeneratedRegex(@"^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?<host>\[[^\]]*\]|[^:/]+)(?<rest>.*)$")]
    private static partial Regex Pattern();
}
