using System.CommandLine;
using Broker.Cli.Commands;
using Broker.Client;

namespace Broker.Cli;

/// <summary>The <c>broker</c> command: builds the command tree and runs one command line.</summary>
internal static class BrokerCli
{
    /// <summary>Every command answers with one JSON document instead of text.</summary>
    public static readonly Option<bool> JsonOption = new("--json") { Description = "Write JSON for scripts instead of text.", Recursive = true };

    public static RootCommand Build(CliHost host)
    {
        var root = new RootCommand(
            "The broker's command line for admins and incident responders.\n" +
            $"Connects to ${Profile.EndpointVariable} with the key in ${Profile.KeyVariable}, or to the profile file ${Profile.PathVariable} " +
            "(default ~/.config/broker/profile.json, mode 0600). A key or secret is never an argument: it is read from standard input.\n" +
            ExitCodes.Help)
        {
            JsonOption,
            KeysCommands.Build(host),
            CredentialsCommands.Build(host),
            AuditCommands.Build(host),
            MintCommands.Tokens(host),
            MintCommands.Sts(host),
            SigningKeysCommands.Build(host),
            ApprovalsCommands.Build(host),
            IdentityCommands.Issuers(host),
            IdentityCommands.WorkloadProfiles(host),
            CompletionCommand.Build(host),
        };
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken = default)
    {
        var root = Build(host);
        var parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration { Output = host.Out, Error = host.Error }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets <paramref name="command"/>'s action, turning every failure into a message on standard error and an exit code.</summary>
    public static void Handle(Command command, CliHost host, Func<CommandContext, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse, host, cancellationToken);
            try
            {
                return await action(context).ConfigureAwait(false);
            }
            catch (CliException ex)
            {
                await host.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
                return ex.ExitCode;
            }
            catch (BrokerException ex)
            {
                var status = ex.Status == 0 ? "no answer" : $"HTTP {ex.Status}";
                await host.Error.WriteLineAsync($"error: {ex.Message} ({status})").ConfigureAwait(false);
                return ExitCodes.ForStatus(ex.Status);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
        });
    }
}
