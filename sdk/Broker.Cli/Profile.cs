using System.Text.Json;

namespace Broker.Cli;

/// <summary>
/// Where the CLI connects and with which key: <c>BROKER_ENDPOINT</c> and <c>BROKER_KEY</c> from the environment, else
/// a profile file (<c>BROKER_PROFILE</c>, default <c>~/.config/broker/profile.json</c>, <c>{"endpoint", "key"}</c>)
/// that must be readable by its owner only (mode 0600). A key is never taken from the command line, where other
/// users and shell history would see it.
/// </summary>
internal sealed record Profile(Uri Endpoint, string Key, string Source)
{
    public const string EndpointVariable = "BROKER_ENDPOINT";
    public const string KeyVariable = "BROKER_KEY";
    public const string PathVariable = "BROKER_PROFILE";

    public override string ToString() => $"Profile {{ Endpoint = {Endpoint}, Source = {Source}, Key = *** }}";

    public static string DefaultPath(CliHost host) => Path.Combine(host.HomeDirectory, ".config", "broker", "profile.json");

    /// <exception cref="CliException">No endpoint or key, or the profile file is unsafe or unreadable.</exception>
    public static Profile Load(CliHost host)
    {
        var endpoint = Blank(host.Environment(EndpointVariable));
        var key = Blank(host.Environment(KeyVariable));
        var source = "environment";
        if (endpoint is null || key is null)
        {
            var path = Blank(host.Environment(PathVariable)) ?? DefaultPath(host);
            if (File.Exists(path))
            {
                var file = ReadFile(path);
                endpoint ??= file.Endpoint;
                key ??= file.Key;
                source = path;
            }
        }

        if (endpoint is null || key is null)
        {
            throw new CliException(
                $"No broker configured: set {EndpointVariable} and {KeyVariable}, or write {{\"endpoint\": …, \"key\": …}} to {DefaultPath(host)} (mode 0600).");
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"The endpoint '{endpoint}' ({source}) is not an http or https address.");
        }

        return new Profile(uri, key, source);
    }

    private static (string? Endpoint, string? Key) ReadFile(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            // The file holds a key: readable by anyone else, it is as good as leaked, and using it would hide that.
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            {
                throw new CliException($"Refusing to read {path}: it holds a key and other users can access it (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
            }
        }

        try
        {
            using var stream = File.OpenRead(path);
            using var doc = JsonDocument.Parse(stream);
            var root = doc.RootElement;
            return (Text(root, "endpoint"), Text(root, "key"));
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // The parser's message may quote the file, which holds a key: name the file only.
            throw new CliException($"Cannot read the profile {path}: it must be a JSON object {{\"endpoint\": \"…\", \"key\": \"…\"}}.");
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? Blank(value.GetString()) : null;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
