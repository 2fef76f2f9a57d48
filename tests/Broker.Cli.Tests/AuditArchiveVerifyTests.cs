using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Broker.Audit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Cli.Tests;

/// <summary>A retention archive (docs/audit.md, "Retention") verifies offline with <c>audit verify-file</c>, alone, even when it starts after id 1.</summary>
public sealed class AuditArchiveVerifyTests
{
    [Fact]
    public async Task VerifyFile_AcceptsRetentionArchives_AndCatchesAnEditedRecordInOne()
    {
        using var cli = new CliBroker();
        using var app = cli.WithWebHostBuilder(b =>
        {
            // Everything already written is "old"; retention runs when the test calls it.
            b.UseSetting("Broker:Audit:Retention", "00:00:00.0000001");
            b.UseSetting("Broker:Audit:RetentionInterval", "00:00:00");
            b.UseSetting("Broker:Audit:CheckpointInterval", "00:00:00");
        });
        using var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CliBroker.AdminKey);
        async Task WriteAsync(string name)
        {
            using var response = await admin.PutAsJsonAsync($"/v1/credentials/{name}", new { value = "archived-value-" + name });
            response.EnsureSuccessStatusCode();
        }

        var retention = app.Services.GetRequiredService<AuditRetention>();
        await WriteAsync("first");
        await WriteAsync("second");
        var first = Assert.Single(await retention.RunAsync());
        await WriteAsync("third");
        var second = Assert.Single(await retention.RunAsync());
        Assert.True(second.Anchor.Id > first.Anchor.Id);

        foreach (var archive in new[] { first.ArchiveFile, second.ArchiveFile })
        {
            var ok = (await cli.RunAsync(null, ["audit", "verify-file", archive, "--json"])).Expect(0);
            Assert.True(ok.Json["valid"]!.GetValue<bool>());
        }

        // The second archive starts after id 1, at the first archive's anchor: an edited record in it still fails.
        var lines = await File.ReadAllLinesAsync(second.ArchiveFile);
        var index = Array.FindIndex(lines, l => JsonNode.Parse(l)!["type"] is null);
        var record = JsonNode.Parse(lines[index])!;
        record["target"] = "something-else";
        lines[index] = record.ToJsonString();
        var edited = Path.Combine(cli.Home, "edited-archive.jsonl");
        await File.WriteAllLinesAsync(edited, lines);
        (await cli.RunAsync(null, ["audit", "verify-file", edited, "--json"])).Expect(6);
    }
}
