using System.Security.Cryptography;
using Broker.Audit;
using System.Text.Json;
using System.Text.RegularExpressions;
using Broker.Core;
using Broker.Vault;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Security;

/// <summary>
/// Turns every exception into problem+json. Domain errors carry messages written to be shown; anything else
/// gets a generic message (no stack trace, no exception text that could hold a value).
/// </summary>
public sealed partial class BrokerExceptionHandler(IProblemDetailsService problems, RequestAudit audit, ILogger<BrokerExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is BadHttpRequestException unreadable)
        {
            await RecordUnreadableAsync(context, unreadable);
        }

        var problem = exception switch
        {
            ValidationException v => new HttpValidationProblemDetails(v.Errors.ToDictionary(e => e.Key, e => e.Value))
            {
                Type = Problems.TypeFor(400), Title = "Invalid request", Status = 400, Detail = v.Message,
            },
            BrokerOperationException b => Problems.Create(StatusOf(b.Kind), TitleOf(b.Kind), b.Message),
            KeyEncryptionKeyException => Problems.Create(503, "Key material unavailable", "The broker cannot use its key-encryption key; see the server log."),
            CryptographicException => Problems.Create(503, "Key material unavailable", "A stored value failed to decrypt; see the server log."),
            BadHttpRequestException { StatusCode: 413 } => Problems.Create(413, "Payload Too Large", "The request body is larger than 64 KiB."),
            BadHttpRequestException { StatusCode: 415 } => Problems.Create(415, "Unsupported Media Type", JsonBodyMiddleware.UnsupportedDetail),
            BadHttpRequestException { InnerException: JsonException json } => InvalidJson(json),
            BadHttpRequestException bad => Problems.Create(bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : 400, "Invalid request",
                "The request could not be read: check the body (JSON of this route's shape) and the query and header values."),
            _ => Problems.Create(500, "Internal Server Error", "An unexpected error occurred; it was logged with the request id."),
        };

        if (problem.Status >= 500)
        {
            // The exception type and stack, never its data; messages of our own exceptions hold no secrets.
            logger.LogError(exception, "Request {RequestId} failed with {Status}", context.TraceIdentifier, problem.Status);
        }

        problem.Extensions["requestId"] = context.TraceIdentifier;
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = null });
    }

    /// <summary>
    /// An audited route refused before its handler ran (its body could not be read) records the refusal, so every
    /// refused write or mint is in the trail. The request is refused whether or not the record could be written.
    /// </summary>
    private async Task RecordUnreadableAsync(HttpContext context, BadHttpRequestException unreadable)
    {
        var feature = context.Features.Get<IExceptionHandlerFeature>();
        if (feature?.Endpoint?.Metadata.GetMetadata<AuditedRoute>() is not { } route || context.Features.Get<Caller>() is not { } caller)
        {
            return;
        }

        var reason = unreadable.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? "too_large"
            : new AuditReason(AuditReason.Validation).Add("fields", "body").ToString();
        try
        {
            await audit.RecordAsync(context, route.Action, route.TargetOf(feature.RouteValues, context.Request.Query), AuditOutcomes.Denied, reason);
        }
        catch (Exception ex) when (ex is AuditUnavailableException or OperationCanceledException)
        {
            // A refusal that could not be recorded is still a refusal.
        }
    }

    /// <summary>
    /// A body that does not deserialize: the field it failed at (from the exception's path, never its message, which
    /// may quote what was sent), so a client knows what to fix.
    /// </summary>
    private static HttpValidationProblemDetails InvalidJson(JsonException exception)
    {
        var match = exception.Path is null ? null : TopLevelMember().Match(exception.Path);
        var (field, message) = match is { Success: true }
            ? (match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value, "Not a value this field takes: check its type and format, and that it appears once.")
            : ("body", "Not JSON of this route's shape: one object, each field once, at most 64 levels deep.");
        return new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Type = Problems.TypeFor(400), Title = "Invalid request", Status = 400,
            Detail = "The request body could not be read as JSON of this route's shape.",
        };
    }

    [GeneratedRegex(@"^\$(?:\.([A-Za-z][A-Za-z0-9]{0,63})|\['([A-Za-z][A-Za-z0-9]{0,63})'\])")]
    private static partial Regex TopLevelMember();

    private static int StatusOf(BrokerErrorKind kind) => kind switch
    {
        BrokerErrorKind.Validation => 400,
        BrokerErrorKind.NotFound => 404,
        BrokerErrorKind.Forbidden => 403,
        BrokerErrorKind.Conflict => 409,
        BrokerErrorKind.PreconditionFailed => 412,
        BrokerErrorKind.Unavailable => 503,
        BrokerErrorKind.Upstream => 502,
        BrokerErrorKind.RateLimited => 429,
        _ => 500,
    };

    private static string TitleOf(BrokerErrorKind kind) => kind switch
    {
        BrokerErrorKind.Validation => "Invalid request",
        BrokerErrorKind.NotFound => "Not Found",
        BrokerErrorKind.Forbidden => "Forbidden",
        BrokerErrorKind.Conflict => "Conflict",
        BrokerErrorKind.PreconditionFailed => "Precondition Failed",
        BrokerErrorKind.Unavailable => "Service Unavailable",
        BrokerErrorKind.Upstream => "Bad Gateway",
        BrokerErrorKind.RateLimited => "Too Many Requests",
        _ => "Error",
    };
}
