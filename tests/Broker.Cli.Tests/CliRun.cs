using System.Text.Json.Nodes;

namespace Broker.Cli.Tests;

/// <summary>What one in-process <c>broker</c> run left: its exit code, standard output and standard error.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public JsonNode Json => JsonNode.Parse(Out) ?? throw new InvalidOperationException("no JSON on stdout");

    /// <summary>Asserts the exit code, showing both streams when it differs.</summary>
    public CliRun Expect(int code)
    {
        Assert.True(code == ExitCode, $"expected exit {code}, got {ExitCode}\nstdout: {Out}\nstderr: {Error}");
        return this;
    }

    public void NeverShows(string secret)
    {
        Assert.DoesNotContain(secret, Out, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, Error, StringComparison.Ordinal);
    }
}
