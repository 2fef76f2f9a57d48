using System.Text.Unicode;
using Broker.Server.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Broker.Server.Security;

/// <summary>
/// The one gate every JSON request body passes before a route binds it: the media type must be JSON and its charset,
/// when given, UTF-8 (a quoted <c>"utf-8"</c> too), else 415; the bytes must be valid UTF-8, else 400. System.Text.Json
/// does not look at the bytes of members it skips, so without this check a body with invalid UTF-8 in an unknown
/// field would be acted on. Runs after authentication: an unauthenticated body is never read.
/// </summary>
public sealed class JsonBodyMiddleware(RequestDelegate next, IOptions<BrokerOptions> options)
{
    public const string UnsupportedDetail = "The body must be JSON in UTF-8: Content-Type: application/json, with no charset or charset=utf-8.";

    public async Task InvokeAsync(HttpContext context)
    {
        // Only routes that bind a body, and only when one was sent (an empty body is the route's own business: optional or 400).
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is null
            || context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true)
        {
            await next(context);
            return;
        }

        var request = context.Request;
        var contentType = request.ContentType;
        if (!string.Equals(contentType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            // Anything but the plain type (what nearly every client sends) is parsed: parameters, suffix, charset.
            if (JsonMediaType(contentType) is not { } mediaType)
            {
                await Problems.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type", UnsupportedDetail);
                return;
            }

            // The charset has been checked; what the framework reads next is plain UTF-8 JSON.
            request.ContentType = mediaType;
        }

        var body = await ReadAsync(request.Body, request.ContentLength, options.Value.MaxRequestBodyBytes, context.RequestAborted);
        if (body is null)
        {
            await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Payload Too Large", "The request body is larger than 64 KiB.");
            return;
        }

        if (!Utf8.IsValid(body.GetBuffer().AsSpan(0, (int)body.Length)))
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "Invalid request", "The request body is not valid UTF-8.");
            return;
        }

        var original = request.Body;
        request.Body = body;
        try
        {
            await next(context);
        }
        finally
        {
            request.Body = original;
        }
    }

    /// <summary>
    /// <c>application/json</c> or <c>application/*+json</c> (what the framework binds), with at most one charset
    /// parameter naming UTF-8, quoted or not; null for anything else.
    /// </summary>
    public static string? JsonMediaType(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !(parsed.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || parsed.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var charsets = parsed.Parameters.Where(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (charsets.Length > 1)
        {
            return null;
        }

        if (charsets.Length == 1)
        {
            var charset = HeaderUtilities.RemoveQuotes(charsets[0].Value);
            if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        return parsed.MediaType.ToString();
    }

    /// <summary>The whole body, or null when it is longer than <paramref name="limit"/> (Kestrel stops it earlier; other servers may not).</summary>
    private static async Task<MemoryStream?> ReadAsync(Stream body, long? declaredLength, long limit, CancellationToken cancellationToken)
    {
        // Sized by Content-Length when it is within the limit (a lie only costs a resize or an early 413).
        var buffer = new MemoryStream(declaredLength is long length && length > 0 && length <= limit ? (int)length : 0);
        // Pooled, and cleared when returned: a body may carry a presented key.
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk, clearArray: true);
        }

        buffer.Position = 0;
        return buffer;
    }
}
