using System.CommandLine;
using Broker.Client.Admin;

namespace Broker.Cli;

/// <summary>What a command's action works with: its parse result, the host's streams, the output mode and a client.</summary>
internal sealed class CommandContext(ParseResult parse, CliHost host, CancellationToken cancellationToken)
{
    public ParseResult Parse { get; } = parse;

    public CliHost Host { get; } = host;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public Output Out { get; } = new(host.Out, parse.GetValue(BrokerCli.JsonOption));

    public T? Get<T>(Option<T> option) => Parse.GetValue(option);

    public T? Get<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>A client for the configured broker and key (<see cref="Profile"/>).</summary>
    public BrokerAdminClient Client()
    {
        var profile = Profile.Load(Host);
        return new BrokerAdminClient(profile.Endpoint, profile.Key, new BrokerAdminClientOptions { HttpMessageHandler = Host.HttpHandlerFactory?.Invoke() });
    }
}
