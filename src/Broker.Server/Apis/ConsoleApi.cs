using System.Collections.Frozen;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Broker.Server.Apis;

/// <summary>
/// The admin console under <c>/console</c>: static files embedded in this assembly (they hold no data; every data
/// call is the REST API with the user's key in the Authorization header). <c>Broker:Console:Enabled</c> (default
/// true) switches it off. Every answer carries a strict Content-Security-Policy: no inline script or style, no
/// framing, no form posts, so an injected string can neither run nor exfiltrate the key held in sessionStorage.
/// </summary>
public static class ConsoleApi
{
    public const string EnabledSetting = "Broker:Console:Enabled";
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private const string ResourcePrefix = "Console/wwwroot/";

    // Loaded once: a handful of small files that never change while the process runs.
    private static readonly Lazy<FrozenDictionary<string, ConsoleFile>> Files = new(LoadFiles);

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IConfiguration>().GetValue(EnabledSetting, true))
        {
            return app;
        }

        var console = app.MapGroup("/console").ExcludeFromDescription().AddEndpointFilter(static async (context, next) =>
        {
            AddSecurityHeaders(context.HttpContext.Response.Headers);
            return await next(context);
        });
        console.MapGet("/", Index);
        console.MapGet("/{file}", static (string file) => Serve(file));
        return app;
    }

    /// <summary>Routing treats <c>/console</c> and <c>/console/</c> alike; the page's relative links need the slash.</summary>
    public static Results<FileContentHttpResult, RedirectHttpResult> Index(HttpContext http) =>
        http.Request.Path.Value?.EndsWith('/') == true ? Send(Files.Value["index.html"]) : TypedResults.Redirect(http.Request.PathBase + "/console/");

    public static Results<FileContentHttpResult, ProblemHttpResult> Serve(string file)
    {
        if (!Files.Value.TryGetValue(file, out var found))
        {
            return TypedResults.Problem("No such console file.", statusCode: StatusCodes.Status404NotFound, title: "Not Found", type: Problems.TypeFor(404));
        }

        return Send(found);
    }

    private static FileContentHttpResult Send(ConsoleFile file) => TypedResults.File(file.Content, file.ContentType);

    private static void AddSecurityHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";

        // The files are tiny; not caching them means a new broker version is never mixed with an old script.
        headers.CacheControl = "no-store";
    }

    private static FrozenDictionary<string, ConsoleFile> LoadFiles()
    {
        var assembly = typeof(ConsoleApi).Assembly;
        var files = new Dictionary<string, ConsoleFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var file = name[ResourcePrefix.Length..];
            files[file] = new ConsoleFile(buffer.ToArray(), ContentTypeOf(file));
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string file) => Path.GetExtension(file) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };

    private sealed record ConsoleFile(byte[] Content, string ContentType);
}
