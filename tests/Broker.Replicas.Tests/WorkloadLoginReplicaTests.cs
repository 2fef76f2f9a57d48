using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Broker.Replicas.Tests;

/// <summary>Deleting a workload profile, or its issuer, through one replica holds on the others before the DELETE answers.</summary>
public sealed class WorkloadLoginReplicaTests
{
    private const string Issuer = "https://k8s.replica.test";

    [ReplicaFact]
    public async Task DeletingTheProfileThroughA_StopsItsAccessTokenOnB_BeforeTheDeleteAnswers()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        await cluster.PutAsync(cluster.A, "db.password", "value-of-db");
        using var rsa = RSA.Create(2048);
        await TrustIssuerAndProfileAsync(cluster, rsa);

        // Logged in through B, used on B (its cache holds the key now).
        using var anonymous = ReplicaCluster.Client(cluster.B, "");
        anonymous.DefaultRequestHeaders.Authorization = null;
        using var login = await LoginAsync(anonymous, rsa);
        var text = await login.Content.ReadAsStringAsync();
        Assert.True(login.StatusCode == HttpStatusCode.OK, text);
        var token = JsonNode.Parse(text)!["access_token"]!.GetValue<string>();
        using var onB = ReplicaCluster.Client(cluster.B, token);
        using (var warm = await onB.GetAsync("/v1/agent/credentials/db.password"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        using (var admin = ReplicaCluster.Client(cluster.A, ReplicaCluster.AdminKey))
        {
            using var deleted = await admin.DeleteAsync("/v1/workload-profiles/ci");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var after = await onB.GetAsync("/v1/agent/credentials/db.password");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [ReplicaFact]
    public async Task DeletingTheIssuerThroughA_StopsItsLoginsOnB_BeforeTheDeleteAnswers()
    {
        await using var cluster = await ReplicaCluster.StartAsync();
        using var rsa = RSA.Create(2048);
        await TrustIssuerAndProfileAsync(cluster, rsa);

        using var anonymous = ReplicaCluster.Client(cluster.B, "");
        anonymous.DefaultRequestHeaders.Authorization = null;

        // B trusts the issuer and holds it in memory now.
        using (var first = await LoginAsync(anonymous, rsa))
        {
            Assert.True(first.StatusCode == HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        }

        using (var admin = ReplicaCluster.Client(cluster.A, ReplicaCluster.AdminKey))
        {
            using var deleted = await admin.DeleteAsync("/v1/issuers/k8s");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var after = await LoginAsync(anonymous, rsa);
        Assert.Equal(HttpStatusCode.BadRequest, after.StatusCode);
        Assert.Equal("invalid_grant", JsonNode.Parse(await after.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
    }

    /// <summary>Through A: the issuer <c>k8s</c> (this RSA key) for workloads, and the profile <c>ci</c> on it.</summary>
    private static async Task TrustIssuerAndProfileAsync(ReplicaCluster cluster, RSA rsa)
    {
        using var admin = ReplicaCluster.Client(cluster.A, ReplicaCluster.AdminKey);
        var p = rsa.ExportParameters(false);
        await EnsureAsync(await admin.PostAsJsonAsync("/v1/issuers", new
        {
            name = "k8s", issuer = Issuer, audiences = new[] { "broker" }, use = "workloads",
            jwks = new { keys = new[] { new { kty = "RSA", kid = "k1", n = B64(p.Modulus!), e = B64(p.Exponent!) } } },
        }));
        await EnsureAsync(await admin.PostAsJsonAsync("/v1/workload-profiles", new { name = "ci", issuer = "k8s", subject = "ci:*", key = new { credentials = new[] { "db.*" } } }));
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, RSA rsa) => client.PostAsync("/v1/oauth/token", new FormUrlEncodedContent(
    [
        new("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"), new("subject_token", Sign(rsa, "ci:runner")),
        new("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"), new("resource", "ci"),
    ]));

    private static async Task EnsureAsync(HttpResponseMessage response) =>
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>An RS256 JWT, written by hand: this project runs the server as a process and references no JWT library.</summary>
    private static string Sign(RSA rsa, string subject)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT", kid = "k1" }));
        var payload = B64(JsonSerializer.SerializeToUtf8Bytes(new { iss = Issuer, aud = "broker", sub = subject, iat = now, nbf = now - 5, exp = now + 600 }));
        var signature = rsa.SignData(Encoding.ASCII.GetBytes(header + "." + payload), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return header + "." + payload + "." + B64(signature);
    }
}
