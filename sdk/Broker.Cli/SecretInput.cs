namespace Broker.Cli;

/// <summary>
/// Reads a secret (a leaked key, a credential value) from standard input or a file, never from the command line:
/// argv is visible to every user through the process list and is kept in shell history.
/// </summary>
internal static class SecretInput
{
    /// <summary>A key: one token, surrounding whitespace dropped. Asked for on a terminal (not echoed), read from a pipe otherwise.</summary>
    /// <exception cref="CliException">Nothing was given.</exception>
    public static async Task<string> ReadKeyAsync(CliHost host, string prompt, CancellationToken cancellationToken)
    {
        if (host.InputIsTerminal)
        {
            await host.Error.WriteAsync(prompt + ": ").ConfigureAwait(false);
            await host.Error.FlushAsync(cancellationToken).ConfigureAwait(false);
            var line = host.ReadHiddenLine is { } hidden ? hidden() : await host.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            return Required(line?.Trim(), prompt);
        }

        var text = await host.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        return Required(text.Trim(), prompt);
    }

    /// <summary>A value, exactly as given except one final line break (what <c>echo</c> and editors add).</summary>
    /// <exception cref="CliException">Nothing was given, or the file cannot be read.</exception>
    public static async Task<string> ReadValueAsync(CliHost host, string? file, string what, CancellationToken cancellationToken)
    {
        string text;
        if (file is not null)
        {
            try
            {
                text = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"Cannot read {file}: {ex.GetType().Name}.");
            }
        }
        else if (host.InputIsTerminal)
        {
            await host.Error.WriteAsync(what + " (one line): ").ConfigureAwait(false);
            await host.Error.FlushAsync(cancellationToken).ConfigureAwait(false);
            text = (host.ReadHiddenLine is { } hidden ? hidden() : await host.In.ReadLineAsync(cancellationToken).ConfigureAwait(false)) ?? "";
        }
        else
        {
            text = await host.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }

        if (text.EndsWith("\r\n", StringComparison.Ordinal))
        {
            text = text[..^2];
        }
        else if (text.EndsWith('\n'))
        {
            text = text[..^1];
        }

        return Required(text, what);
    }

    private static string Required(string? value, string what) =>
        string.IsNullOrEmpty(value) ? throw new CliException($"No {what.ToLowerInvariant()} on standard input.") : value;
}
