using System.CommandLine;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>broker completion bash|zsh|pwsh</c>: prints a script that asks the CLI itself for completions through
/// System.CommandLine's <c>[suggest:position]</c> directive, so completions always match the installed version.
/// </summary>
internal static class CompletionCommand
{
    public static Command Build(CliHost host)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or pwsh." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "pwsh");
        var command = new Command("completion", "Print a shell completion script, e.g. source <(broker completion bash).") { shell };
        BrokerCli.Handle(command, host, c =>
        {
            c.Out.Writer.Write(c.Get(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                _ => Pwsh,
            });
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private const string Bash = """
        # broker completion for bash: source <(broker completion bash)
        _broker_complete() {
          local IFS=$'\n'
          COMPREPLY=( $(broker "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) )
        }
        complete -o default -F _broker_complete broker

        """;

    private const string Zsh = """
        # broker completion for zsh: source <(broker completion zsh)
        _broker_complete() {
          local -a completions
          completions=(${(f)"$(broker "[suggest:${#BUFFER}]" "$BUFFER" 2>/dev/null)"})
          compadd -a completions
        }
        compdef _broker_complete broker

        """;

    private const string Pwsh = """
        # broker completion for PowerShell: broker completion pwsh | Out-String | Invoke-Expression
        Register-ArgumentCompleter -Native -CommandName broker -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            broker "[suggest:$cursorPosition]" "$($commandAst.ToString())" 2>$null | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
            }
        }

        """;
}
