using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broker.Console.Tests;

/// <summary>The browser enforces the console's policy: its own files run, nothing inline does.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class ContentSecurityPolicyTests(Chromium chromium) : IDisposable
{
    private readonly ConsoleBroker _broker = ConsoleBroker.Start();

    public void Dispose() => _broker.Dispose();

    [ChromiumFact]
    public async Task EveryPage_LoadsWithTheStrictPolicy_AndWithoutAViolation()
    {
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        var response = await session.Page.ReloadAsync();
        Assert.NotNull(response);
        var headers = await response.AllHeadersAsync();
        Assert.Contains("script-src 'self'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Equal("no-store", headers["cache-control"]);

        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);
        foreach (var page in new[] { "credentials", "audit", "approvals", "identity", "keys" })
        {
            await session.GoToAsync(page);
        }

        Assert.Equal(0, await session.Page.Locator("script:not([src]), style, [style]").CountAsync());
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task InjectedInlineScriptAndStyle_AreRefused_AndReported()
    {
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await Expect(session.Page.Locator("#sign-in")).ToBeVisibleAsync();

        // What an injection would add, added the way markup would be (Playwright's own evaluate is not subject to CSP).
        await session.Page.EvaluateAsync("""
            () => {
              const script = document.createElement("script");
              script.textContent = "window.__inline = true";
              document.body.append(script);
              const div = document.createElement("div");
              div.setAttribute("onclick", "window.__handler = true");
              document.body.append(div);
              div.click();
            }
            """);

        Assert.True(await session.Page.EvaluateAsync<bool>("() => window.__inline === undefined && window.__handler === undefined"));
        // The console events arrive asynchronously: poll with a deadline.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (session.Violations.Count < 2 && DateTime.UtcNow < deadline)
        {
            await session.Page.WaitForTimeoutAsync(50);
        }

        Assert.True(session.Violations.Count >= 2, "violations seen: " + string.Join(" | ", session.Violations));
    }
}
