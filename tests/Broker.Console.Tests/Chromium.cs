using Microsoft.Playwright;

namespace Broker.Console.Tests;

/// <summary>
/// One headless Debian chromium for the whole collection, started on first use (so a skipped run never starts it).
/// Playwright's own browser downloads are never used.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task<IBrowser> BrowserAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_browser is null)
            {
                _playwright = await Playwright.CreateAsync();
                _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = ChromiumFactAttribute.ExecutablePath,
                    Headless = true,
                    // CI runs as root, where chromium's sandbox cannot start.
                    Args = ["--no-sandbox", "--disable-dev-shm-usage"],
                });
            }

            return _browser;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _gate.Dispose();
    }
}
