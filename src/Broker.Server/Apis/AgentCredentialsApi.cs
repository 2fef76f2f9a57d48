using System.Globalization;
using Broker.Audit;
using Broker.Core;
using Broker.Credentials;
using Broker.Keys;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>
/// What an agent reads: the values its patterns allow, as a full load or a delta after a cursor, with ETag/304
/// and long-poll (<c>wait=</c>) woken by the in-process change signal, never by re-reading the store per waiter.
/// </summary>
public static class AgentCredentialsApi
{
    public const int MaxWaitSeconds = AgentFeedOptions.MaxWaitSeconds;

    public static IEndpointRouteBuilder MapAgentCredentialsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/agent/credentials").WithTags("Agent").RequireRole(Role.Agent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ReadAllAsync).WithSummary("The credentials this key may read; since= for a delta, If-None-Match for 304, wait= to long-poll.")
            .Produces(StatusCodes.Status304NotModified);
        api.MapGet("/{name}", ReadOneAsync).WithSummary("One credential's value (subject= for a per-user value; never a fall-back).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<Results<Ok<AgentCredentialsResponse>, StatusCodeHttpResult, ProblemHttpResult, UnauthenticatedHttpResult>> ReadAllAsync(
        [FromQuery] string? since, [FromQuery] int? wait, [FromHeader(Name = "If-None-Match")] string? ifNoneMatch,
        HttpContext http, AgentCredentialFeed feed, CancellationToken cancellationToken)
    {
        var query = new AgentFeedQuery(since is null ? null : ParseCursor(since, "since"), ParseETag(ifNoneMatch), wait ?? 0);
        var result = await feed.ReadAsync(http.GetAuditContext(), http.GetAuthenticatedKey(), query, cancellationToken);
        switch (result.Status)
        {
            case AgentFeedStatus.KeyInvalid:
                return UnauthenticatedHttpResult.Instance;
            case AgentFeedStatus.TooManyWaits:
                http.Response.Headers.RetryAfter = "1";
                return TypedResults.Problem("This key holds too many long-polls at once.", statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests", type: Problems.TypeFor(429));
            case AgentFeedStatus.NotModified:
                http.Response.Headers.ETag = ETagOf(result.Cursor);
                return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        http.Response.Headers.ETag = ETagOf(result.Cursor);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new AgentCredentialsResponse(
            result.Cursor.ToString(CultureInfo.InvariantCulture), result.Values.Select(AgentCredentialResponse.From).ToArray(), result.Removed));
    }

    public static Task<Results<Ok<AgentCredentialResponse>, Accepted<ApprovalPendingResponse>>> ReadOneAsync(
        string name, [FromQuery] string? subject, [FromHeader(Name = ApprovalPendingResponse.ApprovalHeader)] string? approval, HttpContext http,
        AgentCredentialFeed feed, CancellationToken cancellationToken) =>
        ApprovalPendingResponse.OkOrHeldAsync(http, () => feed.ReadOneAsync(http.GetAuditContext(), name, subject, http.GetUserProof(), approval, cancellationToken),
            AgentCredentialResponse.From);

    private static string ETagOf(long cursor) => "\"" + cursor.ToString(CultureInfo.InvariantCulture) + "\"";

    private static long? ParseETag(string? ifNoneMatch)
    {
        if (string.IsNullOrWhiteSpace(ifNoneMatch))
        {
            return null;
        }

        var value = ifNoneMatch.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        return ParseCursor(value.Trim('"'), "If-None-Match");
    }

    private static long ParseCursor(string value, string field) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor)
            ? cursor
            : throw new ValidationException(field, $"\"{field}\" must be a cursor (or ETag) this route returned.");
}

public sealed record AgentCredentialResponse(string Name, string Kind, int Version, string Value, DateTimeOffset UpdatedAt)
{
    public static AgentCredentialResponse From(CredentialValue value) => new(value.Name, value.Kind, value.Version, value.Value, value.UpdatedAt);

    public override string ToString() => $"AgentCredentialResponse {{ Name = {Name}, Version = {Version} }}";
}

public sealed record AgentCredentialsResponse(string Cursor, IReadOnlyList<AgentCredentialResponse> Credentials, IReadOnlyList<string> Removed);
