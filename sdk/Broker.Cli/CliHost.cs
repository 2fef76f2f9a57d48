namespace Broker.Cli;

/// <summary>
/// Everything the commands touch outside themselves: standard streams, environment, home directory and the HTTP
/// handler. The process passes the real ones; tests pass their own and run commands in-process.
/// </summary>
internal sealed class CliHost
{
    public required TextReader In { get; init; }

    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Whether standard input is a terminal (then a secret is asked for, not read from a pipe).</summary>
    public bool InputIsTerminal { get; init; }

    public required Func<string, string?> Environment { get; init; }

    /// <summary>Where <c>.config/broker/profile.json</c> is looked for.</summary>
    public required string HomeDirectory { get; init; }

    /// <summary>Makes the HTTP handler of each client; null uses the SDK's default (a pooled socket handler).</summary>
    public Func<HttpMessageHandler>? HttpHandlerFactory { get; init; }

    /// <summary>How often <c>audit tail --follow</c> asks for new records.</summary>
    public TimeSpan FollowInterval { get; init; } = TimeSpan.FromSeconds(2);

    public static CliHost FromProcess() => new()
    {
        In = Console.In,
        Out = Console.Out,
        Error = Console.Error,
        InputIsTerminal = !Console.IsInputRedirected,
        Environment = System.Environment.GetEnvironmentVariable,
        HomeDirectory = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile),
    };
}
