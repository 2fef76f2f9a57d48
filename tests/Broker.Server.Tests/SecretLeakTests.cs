using System.Net.Http.Json;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Broker.Server.Tests;

/// <summary>Stores known secrets, then scans every byte the broker wrote to disk for them.</summary>
public sealed class SecretLeakTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StoredSecretsAndKeys_NeverAppearInTheDatabaseFilesOrWal(bool masterKey)
    {
        var settings = masterKey ? new Dictionary<string, string?> { ["Broker:MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) } : null;
        var dataDir = BrokerApp.NewDataDir();
        var secrets = new List<string>();
        using (var app = new BrokerApp(settings: settings, dataDir: dataDir))
        {
            for (var i = 0; i < 20; i++)
            {
                var secret = $"sk-KNOWN-SECRET-{i:D3}-{Guid.NewGuid():N}";
                secrets.Add(secret);
                await app.PutAsync($"cred_{i}", secret);
                await app.PutAsync($"cred_{i}", secret + "-v2");
                await app.PutAsync($"cred_{i}", secret + "-alice", subject: "alice");
            }

            var awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" + Guid.NewGuid().ToString("N");
            secrets.Add(awsSecret);
            await app.PutAsync("aws_main", $$"""{"accessKeyId":"AKIAKNOWNACCESSKEY01","secretAccessKey":"{{awsSecret}}"}""", kind: "aws");
            for (var i = 0; i < 5; i++)
            {
                var (id, key) = await app.CreateKeyAsync(new { name = $"agent-{i}", role = "agent", credentials = new[] { "*" } });
                secrets.Add(key);
                using var agent = app.ClientWith(key);
                var values = await agent.GetStringAsync("/v1/agent/credentials");
                Assert.Contains(secrets[0], values, StringComparison.Ordinal);
                using var admin = app.Admin();
                var rotated = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync($"/v1/keys/{id}/rotate", new { graceSeconds = 30 }));
                secrets.Add(rotated["key"]!.GetValue<string>());
            }

            secrets.Add(BrokerApp.AdminKey);
        }

        SqliteConnection.ClearAllPools();
        var files = Directory.GetFiles(dataDir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("admin.key", StringComparison.Ordinal)).ToArray();
        Assert.Contains(files, f => f.EndsWith("broker.db", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            foreach (var secret in secrets)
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"a known secret was found in {Path.GetFileName(file)}");

                // also a distinctive fragment, so a truncated or re-encoded copy is caught
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret[^16..])) < 0, $"a fragment of a known secret was found in {Path.GetFileName(file)}");
            }
        }

        Directory.Delete(dataDir, recursive: true);
    }
}
