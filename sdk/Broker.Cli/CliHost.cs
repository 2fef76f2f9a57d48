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

    /// <summary>Reads one line from the terminal without echoing it (a pasted key must not stay on screen); null reads <see cref="In"/>.</summary>
    public Func<string?>? ReadHiddenLine { get; init; }

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
        ReadHiddenLine = ReadConsoleHidden,
        Environment = System.Environment.GetEnvironmentVariable,
        HomeDirectory = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile),
    };

    private static string? ReadConsoleHidden()
    {
        var line = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return line.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (line.Length > 0)
                {
                    line.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                line.Append(key.KeyChar);
            }
        }
    }
}
