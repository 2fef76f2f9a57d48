using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Broker.Cli.Tests;

/// <summary>
/// A real broker host (WebApplicationFactory over src/Broker.Server) on a real SQLite file in a fresh temp
/// directory, with a known bootstrap admin key and the JSONL audit sink on; and a way to run <c>broker</c> command
/// lines in-process against it, with their own stdin, stdout, stderr, environment and home directory.
/// </summary>
public sealed class CliBroker : WebApplicationFactory<Program>
{
    public const string AdminKey = "brk_cli-tests-bootstrap-admin-key-0123456789";

    public CliBroker()
    {
        DataDir = Path.Combine(Path.GetTempPath(), "broker-cli-tests", Guid.NewGuid().ToString("n"));
        Home = Path.Combine(DataDir, "home");
        Directory.CreateDirectory(Home);
    }

    public string DataDir { get; }

    public string Home { get; }

    public string JsonlPath => Path.Combine(DataDir, "audit.jsonl");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Broker:DataDir", DataDir);
        builder.UseSetting("Broker:BootstrapAdminKey", AdminKey);
        builder.UseSetting("Broker:Audit:JsonlPath", JsonlPath);
    }

    /// <summary>Runs one command line with <paramref name="key"/> in <c>BROKER_KEY</c> (none when null) and <paramref name="stdin"/> piped in.</summary>
    internal async Task<CliRun> RunAsync(string? key, string[] args, string stdin = "", Dictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var env = new Dictionary<string, string>(environment ?? [], StringComparer.Ordinal) { ["BROKER_ENDPOINT"] = "http://localhost" };
        if (key is not null)
        {
            env["BROKER_KEY"] = key;
        }

        var output = new StringWriter();
        var error = new StringWriter();
        var host = Host(env, new StringReader(stdin), TextWriter.Synchronized(output), TextWriter.Synchronized(error));
        var code = await BrokerCli.RunAsync(args, host, cancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    internal CliHost Host(Dictionary<string, string> env, TextReader stdin, TextWriter output, TextWriter error) => new()
    {
        In = stdin,
        Out = output,
        Error = error,
        InputIsTerminal = false,
        Environment = name => env.GetValueOrDefault(name),
        HomeDirectory = Home,
        HttpHandlerFactory = () => Server.CreateHandler(),
        FollowInterval = TimeSpan.FromMilliseconds(50),
    };

    public HttpClient ClientWith(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Creates a key through the API and returns (id, key).</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(object body)
    {
        using var client = ClientWith(AdminKey);
        using var response = await client.PostAsJsonAsync("/v1/keys", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var json = JsonNode.Parse(text)!;
        return (json["id"]!.GetValue<string>(), json["key"]!.GetValue<string>());
    }

    protected override void Dispose(bool disposing)
    {
        var file = Path.Combine(DataDir, "broker.db");
        if (File.Exists(file))
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(file), Pooling = true }.ToString());
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
        }

        base.Dispose(disposing);
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
