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

    public static async Task<Results<Ok<CredentialSyncResponse>, ProblemHttpResult>> SyncAsync(
        string name, HttpContext http, ICredentialSourceStore sources, AzureKeyVaultCredentialSync sync, RequestAudit audit, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var target = name.Length > 512 ? name[..512] : name;
        try
        {
            CredentialService.ValidateName(name);
        }
        catch (ValidationException ex)
        {
            await audit.RecordAsync(http, AuditActions.CredentialSync, target, AuditOutcomes.Denied, AuditReason.For(ex).ToString());
            throw;
        }

        if (await sources.GetAsync(caller.Tenant, name, cancellationToken) is not { } source)
        {
            await audit.RecordAsync(http, AuditActions.CredentialSync, target, AuditOutcomes.Denied, AuditReason.NotFound);
            return TypedResults.Problem($"No credential '{name}' synced from Key Vault in this tenant.", statusCode: StatusCodes.Status404NotFound, title: "Not Found", type: Problems.TypeFor(404));
        }

        var (synced, version) = await audit.ChangeAsync(
            http, caller.Tenant, caller, AuditActions.CredentialSync, target, null,
            token => sync.SyncAsync(source, null, token),
            r => r.Source.SyncStatus == CredentialSyncStatus.Error ? AuditReason.Upstream : null);
        return TypedResults.Ok(new CredentialSyncResponse(name, version, CredentialSourceResponse.From(synced), synced.SyncStatus, synced.LastSyncedAt, synced.SyncError));
    }

    /// <summary>
    /// The part of <c>PUT /v1/credentials/{name}</c> that concerns sources: a body with <c>source</c> is handled here; a
    /// <c>value</c> for a Key Vault-sourced credential is refused (409: the next sync would overwrite it). Null: the
    /// write is an ordinary one.
    /// </summary>
    internal static async Task<Results<Created<CredentialResponse>, Ok<CredentialResponse>, ProblemHttpResult>?> TryPutAsync(
        string name, string? subject, string? ifMatch, PutCredentialRequest body, HttpContext http, CredentialService credentials, RequestAudit audit, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var sources = http.RequestServices.GetRequiredService<ICredentialSourceStore>();
        var target = CredentialsApi.AuditTarget(name, subject);
        if (body.Source is null)
        {
            if (body.Value is null || !string.IsNullOrEmpty(subject) || !Names.IsValidCredentialName(name) || await sources.GetAsync(caller.Tenant, name, cancellationToken) is null)
            {
                return null;
            }

            await audit.RecordAsync(http, AuditActions.CredentialWrite, target, AuditOutcomes.Denied, AuditReason.Conflict);
            return TypedResults.Problem(
                $"'{name}' is synced from Azure Key Vault: change the secret there, or DELETE the credential first.",
                statusCode: StatusCodes.Status409Conflict, title: "Conflict", type: Problems.TypeFor(409));
        }

        var sync = http.RequestServices.GetRequiredService<AzureKeyVaultCredentialSync>();
        CredentialSource source;
        string value;
        int? expected;
        CredentialWriteResult? refused;
        try
        {
            CredentialService.ValidateName(name);
            if (body.Value is not null)
            {
                throw new ValidationException("value", "Give \"value\" or \"source\", not both.");
            }

            if (!string.IsNullOrEmpty(subject))
            {
                throw new ValidationException("subject", "A Key Vault source feeds the shared value: no subject=.");
            }

            source = body.Source.AzureKeyVault is { } akv
                ? sync.Validate(caller.Tenant, name, akv.VaultUri, akv.SecretName)
                : throw new ValidationException("source", "\"source\" needs \"azureKeyVault\": {\"vaultUri\", \"secretName\"}.");
            expected = CredentialsApi.ParseIfMatch(ifMatch);
            value = await FetchAsync(sync, source, cancellationToken);
            refused = await credentials.CheckPutAsync(caller.Tenant, name, null, value, body.Kind, body.Labels, expected, cancellationToken);
        }
        catch (BrokerOperationException ex)
        {
            await audit.RecordAsync(http, AuditActions.CredentialWrite, target, AuditReason.OutcomeFor(ex.Kind), AuditReason.For(ex).ToString());
            throw;
        }

        if (refused is not null)
        {
            await audit.RecordAsync(http, AuditActions.CredentialWrite, target, AuditOutcomes.Denied, CredentialsApi.PreconditionReason(expected, refused));
            return CredentialsApi.PreconditionFailed(refused);
        }

        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        var result = await audit.ChangeAsync(
            http, caller.Tenant, caller, AuditActions.CredentialWrite, target, new AuditReason().Add("source", CredentialSource.AzureKeyVault).ToString(),
            async token =>
            {
                var written = await credentials.PutAsync(caller.Tenant, name, null, value, body.Kind, body.Labels, expected, token);
                if (written.Outcome != CredentialWriteOutcome.PreconditionFailed)
                {
                    await sources.SetAsync(source with { SyncStatus = CredentialSyncStatus.Ok, LastSyncedAt = time.GetUtcNow() }, token);
                }

                return written;
            },
            r => r.Outcome == CredentialWriteOutcome.PreconditionFailed ? CredentialsApi.PreconditionReason(expected, r) : null);
        if (result.Outcome == CredentialWriteOutcome.PreconditionFailed)
        {
            return CredentialsApi.PreconditionFailed(result);
        }

        var response = CredentialResponse.From(result.Credential!);
        http.Response.Headers.ETag = $"\"{response.Version}\"";
        return result.Outcome == CredentialWriteOutcome.Created ? TypedResults.Created($"/v1/credentials/{name}", response) : TypedResults.Ok(response);
    }

    /// <summary>The detail of a shared value with its source and sync state, when it has one.</summary>
    internal static async Task<CredentialDetailResponse> WithSourceAsync(CredentialDetailResponse detail, HttpContext http, CancellationToken cancellationToken)
    {
        if (detail.Subject is not null || await http.RequestServices.GetRequiredService<ICredentialSourceStore>().GetAsync(http.GetCaller().Tenant, detail.Name, cancellationToken) is not { } source)
        {
            return detail;
        }

        return detail with { Source = CredentialSourceResponse.From(source), SyncStatus = source.SyncStatus, LastSyncedAt = source.LastSyncedAt, SyncError = source.SyncError };
    }

    private static async Task<string> FetchAsync(AzureKeyVaultCredentialSync sync, CredentialSource source, CancellationToken cancellationToken)
    {
        try
        {
            return await sync.FetchAsync(source, cancellationToken);
        }
        catch (CredentialSyncException ex) when (ex.NotFound)
        {
            throw new ValidationException("source.azureKeyVault.secretName", $"Key Vault {new Uri(source.VaultUri).Host} has no secret '{source.SecretName}'.");
        }
        catch (CredentialSyncException ex)
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, ex.Message.Replace("; the last value is still served.", ".", StringComparison.Ordinal));
        }
    }
}
