namespace Broker.Cli;

/// <summary>A failure the user can fix (bad input, missing or unsafe configuration): its message is printed, with its exit code.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
