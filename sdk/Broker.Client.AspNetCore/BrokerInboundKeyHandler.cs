using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Broker.Client.AspNetCore;

/// <summary>
/// Authenticates callers by an inbound key (<c>Authorization: Bearer</c> or <c>X-Api-Key</c>) that the broker
/// verifies on every request; fails closed when the broker cannot answer.
/// </summary>
public class BrokerInboundKeyHandler : AuthenticationHandler<BrokerInboundKeyOptions>
{
    /// <summary>Claim type of the key's id.</summary>
    public const string KeyIdClaim = "broker:key_id";

    /// <summary>Claim type of the key's tenant.</summary>
    public const string TenantClaim = "broker:tenant";

    private const string FailureItem = "Broker.Client.AspNetCore.InboundKeyFailure";
    private const string UnavailableItem = "Broker.Client.AspNetCore.BrokerUnavailable";

    private readonly BrokerClient _client;

    /// <summary>Creates the handler.</summary>
    /// <param name="options">The options monitor.</param>
    /// <param name="logger">The logger factory.</param>
    /// <param name="encoder">The URL encoder.</param>
    /// <param name="client">The broker client registered in DI.</param>
    public BrokerInboundKeyHandler(IOptionsMonitor<BrokerInboundKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder, BrokerClient client)
        : base(options, logger, encoder)
    {
        _client = client;
    }

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ReadKey(Request);
        if (key is null)
        {
            return AuthenticateResult.NoResult();
        }

        InboundKeyResult result;
        try
        {
            result = await _client.VerifyInboundKeyAsync(key, Options.Agent, Context.RequestAborted).ConfigureAwait(false);
        }
        catch (BrokerException ex)
        {
            Context.Items[UnavailableItem] = true;
            Logger.LogWarning("The broker could not verify an inbound key (status {Status}); refusing the request.", ex.Status);
            return AuthenticateResult.Fail("The broker could not verify the key.");
        }

        if (!result.IsValid)
        {
            Context.Items[FailureItem] = result.Reason;
            return AuthenticateResult.Fail($"The inbound key was refused: {result.Reason}.");
        }

        var claims = new List<Claim>(3);
        claims.Add(new Claim("sub", result.Name ?? string.Empty));
        claims.Add(new Claim(ClaimTypes.NameIdentifier, result.Name ?? string.Empty));
        if (result.KeyId is { } keyId)
        {
            claims.Add(new Claim(KeyIdClaim, keyId));
        }

        if (result.Tenant is { } tenant)
        {
            claims.Add(new Claim(TenantClaim, tenant));
        }

        var identity = new ClaimsIdentity(claims, Scheme.Name, "sub", ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <inheritdoc />
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(UnavailableItem))
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Response.Headers[HeaderNames.RetryAfter] = "5";
            return Task.CompletedTask;
        }

        if (Context.Items.TryGetValue(FailureItem, out var reason) && reason is InboundKeyFailure failure
            && failure is InboundKeyFailure.RateLimited or InboundKeyFailure.QuotaExceeded)
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers[HeaderNames.RetryAfter] = RetryAfterSeconds(failure).ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return Task.CompletedTask;
    }

    private int RetryAfterSeconds(InboundKeyFailure failure)
    {
        if (failure == InboundKeyFailure.RateLimited)
        {
            return Math.Max(1, Options.RateLimitRetryAfterSeconds);
        }

        // Quotas reset at 00:00 UTC.
        var now = TimeProvider.GetUtcNow();
        var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        return Math.Max(1, (int)Math.Ceiling((midnight - now).TotalSeconds));
    }

    private static string? ReadKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var key = authorization["Bearer ".Length..].Trim();
            return key.Length > 0 ? key : null;
        }

        var apiKey = request.Headers["X-Api-Key"].ToString().Trim();
        return apiKey.Length > 0 ? apiKey : null;
    }
}
