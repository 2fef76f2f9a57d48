using Microsoft.Playwright;

namespace Broker.Console.Tests;

/// <summary>
/// A fresh browser context (its own sessionStorage, no cookies) on the console of one broker, recording every
/// Content-Security-Policy violation and uncaught script error the page reports.
/// </summary>
public sealed class ConsoleSession : IAsyncDisposable
{
    private readonly List<string> _violations = [];
    private readonly List<string> _scriptErrors = [];

    private ConsoleSession(ConsoleBroker broker, IBrowserContext context, IPage page)
    {
        Broker = broker;
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            // Chromium reports each CSP refusal on the console ("Refused to execute inline script ... Content Security Policy").
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.StartsWith("Refused to", StringComparison.Ordinal))
            {
                lock (_violations)
                {
                    _violations.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_scriptErrors)
            {
                _scriptErrors.Add(error);
            }
        };
    }

    public ConsoleBroker Broker { get; }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_violations)
            {
                return [.. _violations];
            }
        }
    }

    public static async Task<ConsoleSession> OpenAsync(Chromium chromium, ConsoleBroker broker)
    {
        var browser = await chromium.BrowserAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        var session = new ConsoleSession(broker, context, page);
        await page.GotoAsync(broker.ConsoleUrl.ToString());
        return session;
    }

    public async Task SignInAsync(string key)
    {
        await Page.Locator("#key").FillAsync(key);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Signs in and waits for the keys page.</summary>
    public async Task SignInAndWaitAsync(string key)
    {
        await SignInAsync(key);
        await Assertions.Expect(Page.Locator("#keys-list table")).ToBeVisibleAsync();
    }

    public async Task GoToAsync(string page)
    {
        await Page.Locator($"nav a[data-page='{page}']").ClickAsync();
        await Assertions.Expect(Page.Locator($"#page-{page}")).ToBeVisibleAsync();
    }

    public Task<string?> SessionStorageAsync(string name) => Page.EvaluateAsync<string?>("name => sessionStorage.getItem(name)", name);

    /// <summary>No CSP violation and no uncaught script error happened while the session ran.</summary>
    public void AssertClean()
    {
        Assert.True(Violations.Count == 0, "CSP violations: " + string.Join(" | ", Violations));
        lock (_scriptErrors)
        {
            Assert.True(_scriptErrors.Count == 0, "Script errors: " + string.Join(" | ", _scriptErrors));
        }
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
