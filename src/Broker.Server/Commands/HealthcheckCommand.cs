using Broker.Server.Hosting;

namespace Broker.Server.Commands;

/// <summary>
/// <c>dotnet Broker.Server.dll healthcheck [--ready] [url]</c>: GETs <c>/healthz</c> (<c>/readyz</c> with
/// <c>--ready</c>) of the broker running beside it and exits 0 on 200, 1 otherwise. For container health checks:
/// the aspnet image has no curl and its shell no <c>/dev/tcp</c>. It runs before the host is built, so it opens no
/// store and needs no key; the address is <paramref name="args"/>' url, else the first URL of
/// <c>ASPNETCORE_URLS</c> (a wildcard host becomes 127.0.0.1), else the default.
/// </summary>
public static class HealthcheckCommand
{
    public const string Name = "healthcheck";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static async Task<bool> TryRunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] != Name)
        {
            return false;
        }

        var ready = args.Contains("--ready", StringComparer.Ordinal);
        var url = args.Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal))
            ?? LocalUrl(Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? Environment.GetEnvironmentVariable("URLS"));
        var target = new Uri(new Uri(url.TrimEnd('/') + "/"), ready ? "readyz" : "healthz");
        try
        {
            using var client = new HttpClient { Timeout = Timeout };
            using var response = await client.GetAsync(target);
            Console.Out.WriteLine($"{target}: {(int)response.StatusCode}");
            Environment.ExitCode = response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            Console.Out.WriteLine($"{target}: {ex.GetType().Name}: {ex.Message}");
            Environment.ExitCode = 1;
        }

        return true;
    }

    /// <summary>The address to reach a broker listening on <paramref name="urls"/> from the same machine.</summary>
    public static string LocalUrl(string? urls)
    {
        var all = (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var first = all.FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? all.FirstOrDefault() ?? BrokerHostBuilderExtensions.DefaultUrl;
        return ListenUrl.WithHost(first, "127.0.0.1");
    }
}
