using System.Text.Json;
using Broker.Audit;
using Broker.Core;
using Broker.Identity;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>The issuers whose JWTs a tenant trusts, to prove users (<c>users</c>) or log workloads in (<c>workloads</c>), for admins.</summary>
public static class IssuersApi
{
    public static IEndpointRouteBuilder MapIssuersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/issuers").WithTags("Identity").RequireRole(Role.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapPost("/", CreateAsync).WithMetadata(new AuditedRoute(AuditActions.IssuerCreate))
            .WithSummary("Trust an issuer's JWTs (jwksUri: https, or http on loopback; or an inline public jwks) for users or workloads.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ListAsync).WithSummary("The tenant's trusted issuers.");
        api.MapDelete("/{name}", DeleteAsync).WithSummary("Stop trusting an issuer.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Created<IssuerResponse>> CreateAsync([FromBody] CreateIssuerRequest body, HttpContext http, IssuerRegistry issuers, CancellationToken cancellationToken)
    {
        var issuer = await issuers.CreateAsync(http.GetAuditContext(), body, cancellationToken);
        return TypedResults.Created($"/v1/issuers/{issuer.Name}", IssuerResponse.From(issuer));
    }

    public static async Task<Ok<IssuerListResponse>> ListAsync(HttpContext http, IssuerRegistry issuers, CancellationToken cancellationToken)
    {
        var items = await issuers.ListAsync(http.GetAuditContext(), cancellationToken);
        return TypedResults.Ok(new IssuerListResponse(items.Select(IssuerResponse.From).ToArray()));
    }

    public static async Task<NoContent> DeleteAsync(string name, HttpContext http, IssuerRegistry issuers, CancellationToken cancellationToken)
    {
        await issuers.DeleteAsync(http.GetAuditContext(), name, cancellationToken);
        return TypedResults.NoContent();
    }
}

public sealed record IssuerResponse(
    string Name, string Issuer, string? JwksUri, JsonElement? Jwks, IReadOnlyList<string> Audiences, string SubjectClaim, string Use, DateTimeOffset CreatedAt)
{
    public static IssuerResponse From(TrustedIssuer issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        JsonElement? jwks = null;
        if (issuer.Jwks is not null)
        {
            using var document = JsonDocument.Parse(issuer.Jwks);
            jwks = document.RootElement.Clone();
        }

        return new(issuer.Name, issuer.Issuer, issuer.JwksUri, jwks, issuer.Audiences, issuer.SubjectClaim, issuer.Use, issuer.CreatedAt);
    }
}

public sealed record IssuerListResponse(IReadOnlyList<IssuerResponse> Items);
