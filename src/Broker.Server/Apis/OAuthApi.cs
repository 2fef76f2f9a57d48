using System.Globalization;
using System.Threading.RateLimiting;
using Broker.Identity;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Broker.Server.Apis;

/// <summary>
/// <c>POST /v1/oauth/token</c> (no key): a workload's JWT exchanged for an access token (RFC 8693), errors as RFC 6749
/// §5.2. Before any JWT work: a form of at most <see cref="MaxFormBytes"/>, and a token bucket per client address
/// (<c>Broker:WorkloadLogin:RequestsPerMinute</c>, default 60) and one for all (<c>...:GlobalRequestsPerSecond</c>,
/// default 50), so that signature checks cannot be used to burn the broker's CPU (429, not recorded).
/// </summary>
public static class OAuthApi
{
    /// <summary>A token of at most 16 KiB, URL-encoded, and the other fields.</summary>
    public const int MaxFormBytes = 3 * JwtChecks.MaxTokenLength + 1024;

    public static IEndpointRouteBuilder MapOAuthApi(this IEndpointRouteBuilder app)
    {
        var configuration = app.ServiceProvider.GetRequiredService<IConfiguration>();
        var perClient = configuration.GetValue("Broker:WorkloadLogin:RequestsPerMinute", 60);
        var global = configuration.GetValue("Broker:WorkloadLogin:GlobalRequestsPerSecond", 50);
        var limiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, perClient), TokensPerPeriod = Math.Max(1, perClient), ReplenishmentPeriod = TimeSpan.FromMinutes(1), QueueLimit = 0,
            })),
            PartitionedRateLimiter.Create<string, string>(_ => RateLimitPartition.GetTokenBucketLimiter("all", _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, global), TokensPerPeriod = Math.Max(1, global), ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0,
            })));

        app.MapPost("/v1/oauth/token", (HttpContext http, WorkloadLogin login, CancellationToken cancellationToken) => TokenAsync(http, login, limiter, cancellationToken))
            .WithTags("Identity").ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<Ok<OAuthTokenResponse>, BadRequest<OAuthErrorResponse>, ProblemHttpResult>> TokenAsync(
        HttpContext http, WorkloadLogin login, PartitionedRateLimiter<string> limiter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(login);
        ArgumentNullException.ThrowIfNull(limiter);
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        using var lease = limiter.AttemptAcquire(AuthenticationFailureTracker.ClientOf(http.Connection.RemoteIpAddress));
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
            http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(Problems.Create(StatusCodes.Status429TooManyRequests, "Too Many Requests", "Too many logins; retry after the time in Retry-After."));
        }

        if (!http.Request.HasFormContentType)
        {
            return TypedResults.BadRequest(new OAuthErrorResponse(WorkloadLoginResult.InvalidRequest));
        }

        if (http.Request.ContentLength > MaxFormBytes)
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status413PayloadTooLarge, "Payload Too Large", $"The form is larger than {MaxFormBytes} bytes."));
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxFormBytes;
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var result = await login.ExchangeAsync(http.GetAuditContext(),
            new WorkloadLoginRequest(Single(form, "grant_type"), Single(form, "subject_token"), Single(form, "subject_token_type"), Single(form, "resource")), cancellationToken);
        return result.Error is { } error
            ? TypedResults.BadRequest(new OAuthErrorResponse(error))
            : TypedResults.Ok(new OAuthTokenResponse(result.AccessToken!, WorkloadLogin.AccessTokenType, "Bearer", result.ExpiresIn));
    }

    /// <summary>A parameter given once (RFC 6749 §3.2: a repeated parameter is an invalid request, read here as absent).</summary>
    private static string? Single(IFormCollection form, string name) =>
        form.TryGetValue(name, out var values) && values.Count == 1 ? values[0] : null;
}

/// <summary>RFC 8693 §2.2.1. <see cref="ToString"/> never shows the token.</summary>
public sealed record OAuthTokenResponse(
    [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
    [property: System.Text.Json.Serialization.JsonPropertyName("issued_token_type")] string IssuedTokenType,
    [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
    [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn)
{
    public override string ToString() => $"OAuthTokenResponse {{ TokenType = {TokenType}, ExpiresIn = {ExpiresIn} }}";
}

/// <summary>RFC 6749 §5.2: the error code only, the same whatever check failed.</summary>
public sealed record OAuthErrorResponse([property: System.Text.Json.Serialization.JsonPropertyName("error")] string Error);
