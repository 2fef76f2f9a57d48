namespace Broker.Cli;

/// <summary>The process entry point (named apart from the server's <c>Program</c>, which tests reference alongside).</summary>
internal static class CliMain
{
    public static Task<int> Main(string[] args) => BrokerCli.RunAsync(args, CliHost.FromProcess());
}
