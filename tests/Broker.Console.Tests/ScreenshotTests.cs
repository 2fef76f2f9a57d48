using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broker.Console.Tests;

/// <summary>
/// Visits every page with some data and saves a screenshot of each: into <c>BROKER_CONSOLE_SCREENSHOTS</c> when set
/// (<c>docs/console</c> is made this way, see docs/console.md), else into a temp directory that is removed.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class ScreenshotTests(Chromium chromium) : IDisposable
{
    private readonly ConsoleBroker _broker = ConsoleBroker.Start();

    public void Dispose() => _broker.Dispose();

    [ChromiumFact]
    public async Task EveryPage_RendersAndIsCaptured()
    {
        var target = Environment.GetEnvironmentVariable("BROKER_CONSOLE_SCREENSHOTS");
        var directory = string.IsNullOrEmpty(target) ? Path.Combine(_broker.DataDir, "screenshots") : target;
        Directory.CreateDirectory(directory);

        await _broker.CreateKeyAsync(new { name = "billing-agent", role = "agent", credentials = new[] { "db.*", "stripe.*" }, rateLimitPerMinute = 600 });
        await _broker.CreateKeyAsync(new { name = "support-bot", role = "agent", credentials = new[] { "zendesk.token" } });
        await _broker.CreateKeyAsync(new { name = "web-frontend", role = "caller", agents = new[] { "billing-agent" } });
        await _broker.CreateKeyAsync(new { name = "oncall", role = "responder" });
        var leaked = await _broker.CreateKeyAsync(new { name = "ci-runner", role = "agent", credentials = new[] { "deploy.*" } });
        await _broker.PutCredentialAsync("db.password", "example-value-1", new() { ["team"] = "billing", ["env"] = "prod" });
        await _broker.PutCredentialAsync("db.password", "example-value-2", new() { ["team"] = "billing", ["env"] = "prod" });
        await _broker.PutCredentialAsync("stripe.api-key", "example-value-3", new() { ["team"] = "billing" });
        await _broker.PutCredentialAsync("zendesk.token", "example-value-4");
        using (var asLeaked = _broker.Client(leaked.Key))
        {
            await asLeaked.GetAsync("/v1/agent/credentials");
            await asLeaked.GetAsync("/v1/agent/credentials/db.password");
        }

        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        var page = session.Page;
        await Expect(page.Locator("#sign-in")).ToBeVisibleAsync();
        await SaveAsync(page, directory, "sign-in");

        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);
        await page.Locator("#leaked-key").FillAsync(leaked.Key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke leaked key" }).ClickAsync();
        await Expect(page.Locator("#leaked-result")).ToContainTextAsync("Revoked ci-runner");
        await SaveAsync(page, directory, "keys");

        await session.GoToAsync("credentials");
        await page.GetByRole(AriaRole.Button, new() { Name = "db.password" }).ClickAsync();
        await Expect(page.Locator("#credential-detail tbody tr")).ToHaveCountAsync(2);
        await SaveAsync(page, directory, "credentials");

        await session.GoToAsync("audit");
        await Expect(page.Locator("#audit-verify")).ToContainTextAsync("Chain verified");
        await SaveAsync(page, directory, "audit");

        await session.GoToAsync("approvals");
        await Expect(page.Locator("#approvals-list")).ToContainTextAsync("Nothing is waiting for a decision.");
        await SaveAsync(page, directory, "approvals");

        using (var admin = _broker.Client())
        {
            await admin.PostAsJsonAsync("/v1/issuers", new { name = "k8s", issuer = "https://kubernetes.default.svc", jwksUri = "https://k8s.example/openid/v1/jwks", audiences = new[] { "broker" }, use = "workloads" });
            await admin.PostAsJsonAsync("/v1/issuers", new { name = "okta", issuer = "https://acme.okta.com", jwksUri = "https://acme.okta.com/oauth2/v1/keys", audiences = new[] { "broker" }, subjectClaim = "email", use = "users" });
            await admin.PostAsJsonAsync("/v1/workload-profiles", new
            {
                name = "ci-runners", issuer = "k8s", subject = "system:serviceaccount:ci:*", claims = new Dictionary<string, string> { ["kubernetes.io/namespace"] = "ci" },
                key = new { credentials = new[] { "deploy.*" }, tokens = new { audiences = new[] { "https://api.example" }, scopes = new[] { "deploy:*" } }, rateLimitPerMinute = 120 },
                ttlSeconds = 600,
            });
        }

        await session.GoToAsync("identity");
        await Expect(page.Locator("tr[data-profile='ci-runners']")).ToBeVisibleAsync();
        await SaveAsync(page, directory, "identity");

        session.AssertClean();
        foreach (var name in new[] { "sign-in", "keys", "credentials", "audit", "approvals", "identity" })
        {
            Assert.True(new FileInfo(Path.Combine(directory, name + ".png")).Length > 1000);
        }
    }

    private static Task SaveAsync(IPage page, string directory, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true, Animations = ScreenshotAnimations.Disabled });
}
