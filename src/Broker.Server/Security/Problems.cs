using System.Text;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Security;

/// <summary>problem+json bodies (RFC 9457). No body ever carries a secret value or a presented key.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static string TypeFor(int status) => status switch
    {
        400 => "urn:broker:problem:invalid-request",
        401 => "urn:broker:problem:unauthenticated",
        403 => "urn:broker:problem:forbidden",
        404 => "urn:broker:problem:not-found",
        405 => "urn:broker:problem:method-not-allowed",
        409 => "urn:broker:problem:conflict",
        412 => "urn:broker:problem:precondition-failed",
        413 => "urn:broker:problem:body-too-large",
        415 => "urn:broker:problem:unsupported-media-type",
        429 => "urn:broker:problem:rate-limited",
        502 => "urn:broker:problem:upstream-failed",
        503 => "urn:broker:problem:unavailable",
        _ => "urn:broker:problem:error",
    };

    public static ProblemDetails Create(int status, string title, string detail) => new()
    {
        Type = TypeFor(status),
        Title = title,
        Status = status,
        Detail = detail,
    };

    /// <summary>The one 401 body, byte for byte the same for a missing, unknown, revoked or expired key.</summary>
    public static readonly byte[] Unauthenticated = Encoding.UTF8.GetBytes(
        """{"type":"urn:broker:problem:unauthenticated","title":"Unauthorized","status":401,"detail":"A valid key is required: Authorization: Bearer <key>."}""");

    public static Task WriteUnauthenticatedAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = Unauthenticated.Length;
        return context.Response.Body.WriteAsync(Unauthenticated).AsTask();
    }

    /// <summary>The 429 of an address that spent its failure budget: written before any lookup, so kept as cheap as the 401.</summary>
    public static readonly byte[] AuthenticationThrottled = Encoding.UTF8.GetBytes(
        """{"type":"urn:broker:problem:rate-limited","title":"Too Many Requests","status":429,"detail":"Too many failed authentications from this address; retry after the time in Retry-After."}""");

    public static Task WriteAuthenticationThrottledAsync(HttpContext context, int retryAfterSeconds)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = AuthenticationThrottled.Length;
        return context.Response.Body.WriteAsync(AuthenticationThrottled).AsTask();
    }

    public static Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Create(status, title, detail), (System.Text.Json.JsonSerializerOptions?)null, ContentType);
    }
}
