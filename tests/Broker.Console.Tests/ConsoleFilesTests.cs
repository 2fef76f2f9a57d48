using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Broker.Server.Apis;

namespace Broker.Console.Tests;

/// <summary>The console's files over plain HTTP: headers, no key needed, the switch, and what the files may not contain.</summary>
public sealed partial class ConsoleFilesTests : IDisposable
{
    private readonly ConsoleBroker _broker = ConsoleBroker.Start();

    public void Dispose() => _broker.Dispose();

    [Theory]
    [InlineData("/console/", "text/html")]
    [InlineData("/console/app.js", "text/javascript")]
    [InlineData("/console/console.css", "text/css")]
    [InlineData("/console/missing.js", "application/problem+json")]
    public async Task EveryAnswer_CarriesTheSecurityHeaders_AndNeedsNoKey(string path, string mediaType)
    {
        using var anonymous = _broker.Client(key: null);
        using var response = await anonymous.GetAsync(path);

        Assert.Equal(path.Contains("missing", StringComparison.Ordinal) ? HttpStatusCode.NotFound : HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ConsoleApi.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        foreach (var directive in new[] { "default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'" })
        {
            Assert.Contains(directive, ConsoleApi.ContentSecurityPolicy, StringComparison.Ordinal);
        }

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task ConsoleWithoutSlash_RedirectsToTheSlash()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _broker.Address };
        using var response = await client.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/console/", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Switch_Off_ServesNoConsole_AndTheApiStillWorks()
    {
        using var off = ConsoleBroker.Start(new() { [ConsoleApi.EnabledSetting] = "false" });
        using var client = off.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/console/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/console/app.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/keys")).StatusCode);
    }

    /// <summary>Every DOM write goes through textContent or createTextNode: no HTML parsing of data, no eval, no inline code.</summary>
    [Fact]
    public void Files_HoldNoHtmlSinks_NoInlineScriptOrStyle()
    {
        var files = ConsoleFiles();
        Assert.Contains("index.html", files.Keys);
        Assert.Contains("app.js", files.Keys);
        foreach (var (name, content) in files)
        {
            Assert.False(HtmlSinks().IsMatch(content), $"{name} uses an HTML sink or eval: {HtmlSinks().Match(content).Value}");
            if (name.EndsWith(".html", StringComparison.Ordinal))
            {
                Assert.False(InlineCode().IsMatch(content), $"{name} has inline code: {InlineCode().Match(content).Value}");
            }
        }
    }

    private static Dictionary<string, string> ConsoleFiles()
    {
        var assembly = typeof(ConsoleApi).Assembly;
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith("Console/wwwroot/", StringComparison.Ordinal)).ToDictionary(
            n => n["Console/wwwroot/".Length..],
            n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return reader.ReadToEnd();
            });
    }

    [GeneratedRegex(@"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*[""'`]|\.style\s*=|setAttribute\(\s*[""']style")]
    private static partial Regex HtmlSinks();

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineCode();
}
