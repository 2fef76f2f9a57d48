using Broker.Audit;
using Broker.Core;
using Broker.Credentials;
using Broker.Server.Security;
using Broker.Vault.AzureKeyVault;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Broker.Server.Apis;

/// <summary>
/// Credentials sourced from Azure Key Vault, for admins: <c>PUT /v1/credentials/{name}</c> with <c>source</c> (no
/// <c>value</c>) copies the secret now and keeps it current; <c>POST /v1/credentials/{name}/sync</c> syncs now;
/// <c>GET /v1/credentials/{name}</c> shows the source and how its last sync went.
/// </summary>
public static class CredentialSourcesApi
{
    public static IEndpointRouteBuilder MapCredentialSourcesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/credentials").WithTags("Credentials").RequireRole(Role.Admin)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapPost("/{name}/sync", SyncAsync).WithMetadata(new AuditedRoute(AuditActions.CredentialSync, static (r, _) => r["name"] as string ?? ""))
            .WithSummary("Sync a Key Vault-sourced credential now; a changed value becomes a new version.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Ok<CredentialSyncResponse>> SyncAsync(string name, HttpContext http, SourcedCredentialAdmin sourced, CancellationToken cancellationToken)
    {
        var (synced, version) = await sourced.SyncAsync(http.GetAuditContext(), name, cancellationToken);
        return TypedResults.Ok(new CredentialSyncResponse(name, version, CredentialSourceResponse.From(synced), synced.SyncStatus, synced.LastSyncedAt, synced.SyncError));
    }

    /// <summary>The detail of a shared value with its source and sync state, when it has one.</summary>
    internal static async Task<CredentialDetailResponse> WithSourceAsync(CredentialDetailResponse detail, HttpContext http, CancellationToken cancellationToken)
    {
        if (detail.Subject is not null || await http.RequestServices.GetRequiredService<SourcedCredentialAdmin>().GetSourceAsync(http.GetCaller().Tenant, detail.Name, cancellationToken) is not { } source)
        {
            return detail;
        }

        return detail with { Source = CredentialSourceResponse.From(source), SyncStatus = source.SyncStatus, LastSyncedAt = source.LastSyncedAt, SyncError = source.SyncError };
    }
}
