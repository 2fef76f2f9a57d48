using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Broker.Client.Tests;

/// <summary>
/// A real Kestrel host on 127.0.0.1 (port 0) standing in for the service an agent calls with a broker credential:
/// it records every request that arrives; <c>/redirect?to=URL&amp;status=302</c> answers a redirect, <c>/loop</c> redirects to
/// itself, any other path answers 200.
/// </summary>
public sealed class RecordingHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingHost(WebApplication app) => _app = app;

    public ConcurrentQueue<Recorded> Requests { get; } = new();

    public int Port => new Uri(_app.Urls.First()).Port;

    /// <summary>This host by IP address: <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri ByAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>This host by another name: <c>http://localhost:PORT/</c>.</summary>
    public Uri ByName => new($"http://localhost:{Port}/");

    public static async Task<RecordingHost> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var host = new RecordingHost(app);
        app.Run(async context =>
        {
            var request = context.Request;
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            host.Requests.Enqueue(new Recorded(request.Method, request.Path + request.QueryString, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            if (request.Path == "/loop")
            {
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = "/loop";
                return;
            }

            if (request.Path == "/redirect")
            {
                context.Response.StatusCode = int.Parse(request.Query["status"].FirstOrDefault() ?? "302", CultureInfo.InvariantCulture);
                context.Response.Headers.Location = request.Query["to"].ToString();
                return;
            }

            await context.Response.WriteAsync("ok");
        });
        await app.StartAsync();
        return host;
    }

    /// <summary>The URL of a redirect from this host to <paramref name="target"/>.</summary>
    public Uri RedirectTo(Uri target, int status = 302) => new(ByAddress, $"redirect?status={status}&to={Uri.EscapeDataString(target.AbsoluteUri)}");

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>One request as it arrived.</summary>
    public sealed record Recorded(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        /// <summary>Whether any header holds <paramref name="value"/>.</summary>
        public bool Carries(string value) => Headers.Values.Any(v => v.Contains(value, StringComparison.Ordinal));
    }
}
