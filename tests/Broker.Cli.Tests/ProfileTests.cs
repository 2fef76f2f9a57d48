namespace Broker.Cli.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProfileTests(CliBroker broker) : IClassFixture<CliBroker>
{
    [Fact]
    public async Task AProfileFile_IsUsedOnlyWhenItsModeIs0600()
    {
        var path = Path.Combine(broker.Home, "profile-" + Guid.NewGuid().ToString("n") + ".json");
        await File.WriteAllTextAsync(path, $$"""{"endpoint": "http://localhost", "key": "{{CliBroker.AdminKey}}"}""");
        var env = new Dictionary<string, string> { ["BROKER_PROFILE"] = path };

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var refused = await RunAsync(env, ["keys", "list"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("chmod 600", refused.Error, StringComparison.Ordinal);
        refused.NeverShows(CliBroker.AdminKey);

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Assert.Equal(1, (await RunAsync(env, ["keys", "list"])).ExitCode);

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var used = await RunAsync(env, ["keys", "list", "--json"]);
        Assert.True(used.ExitCode == 0, used.Error);
        Assert.Contains("bootstrap-admin", used.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDefaultProfile_IsUnderTheHomeDirectory_AndTheEnvironmentWins()
    {
        var dir = Path.Combine(broker.Home, ".config", "broker");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "profile.json");
        await File.WriteAllTextAsync(path, """{"endpoint": "http://localhost", "key": "brk_wrong-key-in-the-file-0000000000000"}""");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            Assert.Equal(3, (await RunAsync([], ["keys", "list"])).ExitCode);
            Assert.Equal(0, (await RunAsync(new() { ["BROKER_KEY"] = CliBroker.AdminKey }, ["keys", "list"])).ExitCode);

            await File.WriteAllTextAsync(path, "not json brk_should-not-be-echoed");
            var garbled = await RunAsync([], ["keys", "list"]);
            Assert.Equal(1, garbled.ExitCode);
            garbled.NeverShows("brk_should-not-be-echoed");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task NoCommandTakesAKeyArgument()
    {
        Assert.Equal(1, (await broker.RunAsync(null, ["keys", "list", "--key", CliBroker.AdminKey])).ExitCode);
        Assert.Equal(1, (await broker.RunAsync(null, ["keys", "list", "--api-key", CliBroker.AdminKey])).ExitCode);
    }

    [Fact]
    public async Task Completion_PrintsAScriptThatUsesTheSuggestDirective_AndSuggestCompletesCommands()
    {
        var bash = (await broker.RunAsync(null, ["completion", "bash"])).Expect(0);
        Assert.Contains("[suggest:", bash.Out, StringComparison.Ordinal);
        Assert.Contains("complete -o default -F _broker_complete broker", bash.Out, StringComparison.Ordinal);
        (await broker.RunAsync(null, ["completion", "fish"])).Expect(1);

        var suggested = (await broker.RunAsync(null, ["[suggest:13]", "broker keys r"])).Expect(0);
        var words = suggested.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Superset(new HashSet<string> { "revoke", "revoke-leaked", "rotate" }, words.ToHashSet());
        Assert.DoesNotContain("list", words);
    }

    private Task<CliRun> RunAsync(Dictionary<string, string> environment, string[] args) => RunWithoutEndpointAsync(environment, args);

    private async Task<CliRun> RunWithoutEndpointAsync(Dictionary<string, string> env, string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await BrokerCli.RunAsync(args, broker.Host(env, new StringReader(""), output, error));
        return new CliRun(code, output.ToString(), error.ToString());
    }
}
