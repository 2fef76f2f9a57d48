using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Client.Tests;

/// <summary>Workload login and proof of the user through the SDK, against the real broker.</summary>
public sealed class WorkloadLoginClientTests : IAsyncLifetime
{
    private const string IssuerUrl = "https://k8s.test/issuer";
    private readonly RsaSecurityKey _signingKey = new(RSA.Create(2048)) { KeyId = "k8s-1" };
    private readonly string _tokenFile = Path.Combine(Path.GetTempPath(), "broker-client-tests", Guid.NewGuid().ToString("n") + ".jwt");
    private RealBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await RealBroker.StartNewAsync();
        Directory.CreateDirectory(Path.GetDirectoryName(_tokenFile)!);
        var publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_signingKey.Rsa.ExportParameters(false)) { KeyId = _signingKey.KeyId });
        using var admin = _broker.Admin();
        await Ensure(await admin.PostAsJsonAsync("v1/issuers", new
        {
            name = "k8s", issuer = IssuerUrl, jwks = new { keys = new[] { new { kty = "RSA", kid = publicJwk.Kid, n = publicJwk.N, e = publicJwk.E } } },
            audiences = new[] { "broker" }, use = "workloads",
        }));
        await Ensure(await admin.PostAsJsonAsync("v1/workload-profiles", new
        {
            name = "ci", issuer = "k8s", subject = "system:serviceaccount:ci:*", key = new { credentials = new[] { "db" }, subjects = "any" },
        }));
        await _broker.SetCredentialAsync("db", "db-value");
        await _broker.SetCredentialAsync("db", "db-alice", subject: "alice");
    }

    public async Task DisposeAsync()
    {
        File.Delete(_tokenFile);
        await _broker.DisposeAsync();
    }

    private static async Task Ensure(HttpResponseMessage response) =>
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

    private string Sign(string subject) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = IssuerUrl, Audience = "broker", Claims = new Dictionary<string, object> { ["sub"] = subject },
        Expires = DateTime.UtcNow.AddMinutes(10), SigningCredentials = new SigningCredentials(_signingKey, SecurityAlgorithms.RsaSha256),
    });

    private async Task<JsonArray> KeysAsync()
    {
        using var admin = _broker.Admin();
        return JsonNode.Parse(await admin.GetStringAsync("v1/keys"))!["items"]!.AsArray();
    }

    [Fact]
    public void Options_WithNeitherAKeyNorBothWorkloadSettings_Throw()
    {
        var endpoint = new Uri("http://127.0.0.1:1");
        Assert.Throws<ArgumentException>(() => new BrokerClient(new BrokerClientOptions { Endpoint = endpoint }));
        Assert.Throws<ArgumentException>(() => new BrokerClient(new BrokerClientOptions { Endpoint = endpoint, WorkloadTokenPath = "/var/run/token" }));
        Assert.Throws<ArgumentException>(() => new BrokerClient(new BrokerClientOptions { Endpoint = endpoint, WorkloadProfile = "ci" }));
        _ = new BrokerClient(new BrokerClientOptions { Endpoint = endpoint, WorkloadTokenPath = "/var/run/token", WorkloadProfile = "ci" });
    }

    [Fact]
    public async Task WorkloadClient_LogsInWithTheTokenFile_AndReadsTheFileAgainAtTheNextLogin()
    {
        await File.WriteAllTextAsync(_tokenFile, Sign("system:serviceaccount:ci:first") + "\n");
        var options = TestUtil.FastOptions();
        options.Endpoint = _broker.Endpoint;
        options.WorkloadTokenPath = _tokenFile;
        options.WorkloadProfile = "ci";
        await using var client = new BrokerClient(options);
        await client.StartAsync();
        Assert.Equal("db-value", client.GetCredential("db").Value);
        Assert.Equal("db-alice", (await client.GetCredentialForSubjectAsync("db", "alice", null)).Value);

        // The access token is revoked (as a deleted profile would): the client logs in again, with the file as it is now.
        await File.WriteAllTextAsync(_tokenFile, Sign("system:serviceaccount:ci:second"));
        var first = (await KeysAsync()).Single(k => k!["name"]!.GetValue<string>() == "system:serviceaccount:ci:first")!;
        using (var admin = _broker.Admin())
        {
            await Ensure(await admin.PostAsync($"v1/keys/{first["id"]!.GetValue<string>()}/revoke", null));
        }

        // The next call sees the 401 and the client logs in again for the call after it; or the client's feed, woken by
        // the revoke, has logged in again already and the call succeeds. Either way no call after that fails.
        try
        {
            await client.GetCredentialForSubjectAsync("db", "alice", null);
        }
        catch (BrokerException refused) when (refused.Status == 401)
        {
        }

        Assert.Equal("db-alice", (await client.GetCredentialForSubjectAsync("db", "alice", null)).Value);
        Assert.Contains(await KeysAsync(), k => k!["name"]!.GetValue<string>() == "system:serviceaccount:ci:second");
    }

    [Fact]
    public async Task WorkloadClient_WithARefusedToken_FailsToStartWithInvalidGrant()
    {
        await File.WriteAllTextAsync(_tokenFile, Sign("system:serviceaccount:other:x"));
        var options = TestUtil.FastOptions();
        options.Endpoint = _broker.Endpoint;
        options.WorkloadTokenPath = _tokenFile;
        options.WorkloadProfile = "ci";
        await using var client = new BrokerClient(options);
        var refused = await Assert.ThrowsAsync<BrokerException>(() => client.StartAsync());
        Assert.Equal(400, refused.Status);
        Assert.Equal("invalid_grant", refused.ErrorCode);
    }

    [Fact]
    public async Task UserProof_IsSentWithPerUserReadsAndMints_AndWithoutItTheBrokerRefuses()
    {
        var (_, agentKey) = await _broker.CreateKeyAsync(new
        {
            name = "mail-agent", role = "agent", credentials = new[] { "db" }, tokens = new { audiences = new[] { "*" } },
        });
        var (_, aliceKey) = await _broker.CreateKeyAsync(new { name = "alice-key", role = "caller", agents = new[] { "*" }, subject = "alice" });
        await using var client = new BrokerClient(_broker.Endpoint, new BrokerKeyCredential(agentKey), TestUtil.FastOptions());
        var proof = UserProof.FromCallerKey(aliceKey);

        Assert.Equal("db-alice", (await client.GetCredentialForSubjectAsync("db", "alice", proof)).Value);
        var unproven = await Assert.ThrowsAsync<BrokerException>(() => client.GetCredentialForSubjectAsync("db", "alice", null));
        Assert.Equal(403, unproven.Status);
        await Assert.ThrowsAsync<BrokerException>(() => client.GetCredentialForSubjectAsync("db", "bob", proof));

        var request = new TokenRequest { Audience = "https://api.example.com", Task = "t-1", OnBehalfOf = "alice", UserProof = proof };
        Assert.DoesNotContain(aliceKey, request.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty((await client.MintTokenAsync(request)).Token);
        request.UserProof = null;
        Assert.Equal(403, (await Assert.ThrowsAsync<BrokerException>(() => client.MintTokenAsync(request))).Status);
    }

    [Fact]
    public void UserProof_AndRequests_NeverShowTheProof()
    {
        const string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
        var proof = UserProof.FromAssertion(jwt);
        Assert.DoesNotContain("eyJ", proof.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("brk_alice", UserProof.FromCallerKey("brk_alice_secret_0123456789").ToString(), StringComparison.Ordinal);
        var aws = new AwsCredentialsRequest { Credential = "aws", Task = "t", OnBehalfOf = "alice", UserProof = proof };
        Assert.DoesNotContain("eyJ", aws.ToString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => UserProof.FromAssertion(" "));
        Assert.Throws<ArgumentNullException>(() => UserProof.FromCallerKey(null!));
    }
}
