using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Client.Tests;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;

namespace Broker.Client.AI.Tests;

public sealed class McpToolTests
{
    [Fact]
    public async Task Stdio_SharedCredential_IsInTheProcessEnvironment_ScrubbedFromTheResult_AndFollowsRotation()
    {
        await using var broker = await RealBroker.StartNewAsync();
        var first = AITestUtil.NewSecret("svc");
        await broker.SetCredentialAsync("service_token", first);
        await using var client = await AITestUtil.StartClientAsync(broker);
        var options = new BrokerMcpToolOptions { EnvironmentVariables = { ["SERVICE_TOKEN"] = "$<credentials.service_token>" } };

        await using var tools = await BrokerMcpTools.StartStdioAsync(client, EchoServer(), options);
        var readEnv = Assert.Single(tools.Tools, t => t.Name == "read_env");
        Assert.Equal(["service_token"], tools.CredentialNames);

        var result = await CallAsync(readEnv, new() { ["name"] = "SERVICE_TOKEN" });
        Assert.DoesNotContain(first, result, StringComparison.Ordinal);
        Assert.Contains("SERVICE_TOKEN=[REDACTED:service_token]", result, StringComparison.Ordinal);
        Assert.Contains($"sha256={Sha256(first)}", result, StringComparison.Ordinal);

        // Rotation: the next call runs in a process started with the new value.
        var second = AITestUtil.NewSecret("svc");
        await broker.SetCredentialAsync("service_token", second);
        await AITestUtil.WaitForValueAsync(client, "service_token", second);
        result = await CallAsync(readEnv, new() { ["name"] = "SERVICE_TOKEN" });
        Assert.Contains($"sha256={Sha256(second)}", result, StringComparison.Ordinal);
        Assert.DoesNotContain(second, result, StringComparison.Ordinal);
        Assert.Equal(2, tools.ProcessCount);
    }

    [Fact]
    public async Task Stdio_AProcessThatDies_LeavesThePool_AndTheNextCallRunsInANewOne()
    {
        await using var broker = await RealBroker.StartNewAsync();
        var secret = AITestUtil.NewSecret("svc");
        await broker.SetCredentialAsync("service_token", secret);
        await using var client = await AITestUtil.StartClientAsync(broker);
        var options = new BrokerMcpToolOptions { EnvironmentVariables = { ["SERVICE_TOKEN"] = "$<credentials.service_token>" } };
        await using var tools = await BrokerMcpTools.StartStdioAsync(client, EchoServer(), options);
        var readEnv = Assert.Single(tools.Tools, t => t.Name == "read_env");
        var first = Pid(await CallAsync(readEnv, new() { ["name"] = "SERVICE_TOKEN" }));

        using (var process = System.Diagnostics.Process.GetProcessById(first))
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (tools.ProcessCount > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, tools.ProcessCount);
        var result = await CallAsync(readEnv, new() { ["name"] = "SERVICE_TOKEN" });
        Assert.NotEqual(first, Pid(result));
        Assert.Contains($"sha256={Sha256(secret)}", result, StringComparison.Ordinal);
        Assert.Equal(1, tools.ProcessCount);

        static int Pid(string result) => int.Parse(System.Text.RegularExpressions.Regex.Match(result, @"pid=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Stdio_PerUserCredential_EachCallGetsItsUsersValue_ReadIsAudited_AndNoUserFails()
    {
        await using var broker = await RealBroker.StartNewAsync();
        var alice = AITestUtil.NewSecret("alice");
        var bob = AITestUtil.NewSecret("bob");
        await broker.SetCredentialAsync("user_token", alice, subject: "alice");
        await broker.SetCredentialAsync("user_token", bob, subject: "bob");
        await using var client = await AITestUtil.StartClientAsync(broker);
        var options = new BrokerMcpToolOptions
        {
            EnvironmentVariables = { ["USER_TOKEN"] = "$<credentials.user_token>" },
            PerUserCredentials = { "user_token" },
            UserResolver = (args, _) => ValueTask.FromResult(args.Context?.TryGetValue("user", out var u) == true ? new BrokerToolUser((string)u!) : null),
        };

        await using var tools = await BrokerMcpTools.StartStdioAsync(client, EchoServer(), options);
        var readEnv = Assert.Single(tools.Tools, t => t.Name == "read_env");
        var auditBefore = await CountAuditAsync(broker, "credential.read");

        var results = await Task.WhenAll(
            CallAsync(readEnv, new() { ["name"] = "USER_TOKEN" }, user: "alice"),
            CallAsync(readEnv, new() { ["name"] = "USER_TOKEN" }, user: "bob"));

        Assert.Contains($"sha256={Sha256(alice)}", results[0], StringComparison.Ordinal);
        Assert.Contains($"sha256={Sha256(bob)}", results[1], StringComparison.Ordinal);
        Assert.All(results, r => Assert.Contains("USER_TOKEN=[REDACTED:user_token]", r, StringComparison.Ordinal));
        Assert.DoesNotContain(alice, string.Concat(results), StringComparison.Ordinal);
        Assert.DoesNotContain(bob, string.Concat(results), StringComparison.Ordinal);
        Assert.True(await CountAuditAsync(broker, "credential.read") >= auditBefore + 2, "each per-user read is audited by the broker");

        await Assert.ThrowsAsync<InvalidOperationException>(() => CallAsync(readEnv, new() { ["name"] = "USER_TOKEN" }));
    }

    [Fact]
    public async Task Http_HeadersAreSetPerRequest_PerUserAtCallTime_ScrubbedFromTheResult_AndFollowRotation()
    {
        await using var broker = await RealBroker.StartNewAsync();
        await using var server = await McpHttpServer.StartAsync();
        var key = AITestUtil.NewSecret("mcp");
        var alice = AITestUtil.NewSecret("alice");
        server.Allow(key);
        await broker.SetCredentialAsync("mcp_key", key);
        await broker.SetCredentialAsync("user_token", alice, subject: "alice");
        await using var client = await AITestUtil.StartClientAsync(broker);
        var options = new BrokerMcpToolOptions
        {
            Headers = { ["Authorization"] = "Bearer $<credentials.mcp_key>", ["X-User-Token"] = "$<credentials.user_token>" },
            PerUserCredentials = { "user_token" },
            UserResolver = (args, _) => ValueTask.FromResult(args.Context?.TryGetValue("user", out var u) == true ? new BrokerToolUser((string)u!) : null),
        };

        await using var tools = await BrokerMcpTools.ConnectHttpAsync(client, new HttpClientTransportOptions { Endpoint = server.Endpoint }, options);
        var whoami = Assert.Single(tools.Tools, t => t.Name == "whoami");

        var result = await CallAsync(whoami, new(), user: "alice");
        Assert.Equal(alice, Assert.Single(server.UserTokensSeen));
        Assert.Contains("authorization=Bearer [REDACTED:mcp_key] user=[REDACTED:user_token]", result, StringComparison.Ordinal);
        Assert.DoesNotContain(key, result, StringComparison.Ordinal);
        Assert.DoesNotContain(alice, result, StringComparison.Ordinal);

        // Rotation of the server key: the same session's next request carries the new one.
        var rotated = AITestUtil.NewSecret("mcp");
        server.Allow(rotated);
        await broker.SetCredentialAsync("mcp_key", rotated);
        await AITestUtil.WaitForValueAsync(client, "mcp_key", rotated);
        server.Revoke(key);
        result = await CallAsync(whoami, new(), user: "alice");
        Assert.Contains("authorization=Bearer [REDACTED:mcp_key]", result, StringComparison.Ordinal);
        Assert.Equal(0, server.Rejected);
    }

    [Fact]
    public async Task PerUser_WithoutTheSubjectsGrant_NeedsTheUsersProof_AndAProofOfAliceNeverReadsBob()
    {
        await using var broker = await RealBroker.StartNewAsync();
        await using var server = await McpHttpServer.StartAsync();
        var key = AITestUtil.NewSecret("mcp");
        var alice = AITestUtil.NewSecret("alice");
        var bob = AITestUtil.NewSecret("bob");
        server.Allow(key);
        await broker.SetCredentialAsync("mcp_key", key);
        await broker.SetCredentialAsync("user_token", alice, subject: "alice");
        await broker.SetCredentialAsync("user_token", bob, subject: "bob");

        // An agent key without subjects "any": per-user reads need proof; alice's own caller key proves alice.
        var (_, agentKey) = await broker.CreateKeyAsync(new { name = "proving-agent", role = "agent", credentials = new[] { "*" } });
        var (_, aliceKey) = await broker.CreateKeyAsync(new { name = "alice-laptop", role = "caller", agents = new[] { "proving-agent" }, subject = "alice" });
        await using var client = new BrokerClient(broker.Endpoint, agentKey, TestUtil.FastOptions());
        await client.StartAsync();
        var proof = UserProof.FromCallerKey(aliceKey);
        var options = new BrokerMcpToolOptions
        {
            Headers = { ["Authorization"] = "Bearer $<credentials.mcp_key>", ["X-User-Token"] = "$<credentials.user_token>" },
            PerUserCredentials = { "user_token" },
            UserResolver = (args, _) => ValueTask.FromResult(args.Context?.TryGetValue("user", out var u) == true
                ? new BrokerToolUser((string)u!, (string)u! == "unproven" ? null : proof)
                : null),
        };

        await using var tools = await BrokerMcpTools.ConnectHttpAsync(client, new HttpClientTransportOptions { Endpoint = server.Endpoint }, options);
        var whoami = Assert.Single(tools.Tools, t => t.Name == "whoami");

        await CallAsync(whoami, new(), user: "alice");
        Assert.Equal(alice, Assert.Single(server.UserTokensSeen));

        // A prompt that names bob, with alice's proof, or with none: refused by the broker, bob's value never sent.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => CallAsync(whoami, new(), user: "bob"));
        Assert.Equal(403, FindBrokerException(refused)?.Status);
        var unproven = await Assert.ThrowsAnyAsync<Exception>(() => CallAsync(whoami, new(), user: "unproven"));
        Assert.Equal(403, FindBrokerException(unproven)?.Status);
        Assert.DoesNotContain(bob, server.UserTokensSeen);
        Assert.DoesNotContain(aliceKey, proof.ToString(), StringComparison.Ordinal);
    }

    private static BrokerException? FindBrokerException(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is BrokerException broker)
            {
                return broker;
            }
        }

        return null;
    }

    private static async Task<string> CallAsync(AIFunction tool, Dictionary<string, object?> args, string? user = null)
    {
        var arguments = new AIFunctionArguments(args);
        if (user is not null)
        {
            arguments.Context = new Dictionary<object, object?> { ["user"] = user };
        }

        var result = await tool.InvokeAsync(arguments);
        return JsonSerializer.Serialize(result);
    }

    private static StdioClientTransportOptions EchoServer()
    {
        // The echo server is built beside the tests (a project reference without the assembly): same configuration and framework.
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        var dll = Path.GetFullPath(Path.Combine(output.FullName, "..", "..", "..", "..", "Broker.McpEchoServer", "bin", output.Parent!.Name, output.Name, "Broker.McpEchoServer.dll"));
        Assert.True(File.Exists(dll), $"{dll} is missing: build tests/Broker.McpEchoServer");
        return new StdioClientTransportOptions { Command = "dotnet", Arguments = [dll], Name = "echo" };
    }

    private static string Sha256(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private static async Task<int> CountAuditAsync(RealBroker broker, string action)
    {
        using var admin = new HttpClient { BaseAddress = broker.Endpoint };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RealBroker.AdminKey);
        var json = JsonNode.Parse(await admin.GetStringAsync($"v1/audit?action={action}&limit=1000"))!;
        return json["items"]!.AsArray().Count;
    }
}
