using Broker.Audit;
using Broker.Core;
using Broker.Credentials;
using Broker.Server.Security;
using Broker.Vault.AzureKeyVault;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>Outbound credentials, for admins: write, version, list, describe, delete. Never returns a value.</summary>
public static class CredentialsApi
{
    public static IEndpointRouteBuilder MapCredentialsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/credentials").WithTags("Credentials").RequireRole(Role.Admin)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);

        api.MapPut("/{name}", PutAsync).WithMetadata(new AuditedRoute(AuditActions.CredentialWrite, static (r, q) => CredentialAdmin.Target(r["name"] as string ?? "", q["subject"].ToString())))
            .WithSummary("Store a value: 201 first, 200 new version, 200 unchanged keeps the version.")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ListAsync).WithSummary("List credentials (metadata only).");
        api.MapGet("/{name}", GetAsync).WithSummary("Describe a credential with its versions (never the value).").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a credential (every subject), or with subject= only that subject's value.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Results<Created<CredentialResponse>, Ok<CredentialResponse>>> PutAsync(
        string name, [FromQuery] string? subject, [FromHeader(Name = "If-Match")] string? ifMatch, [FromBody] PutCredentialRequest body,
        HttpContext http, CredentialAdmin admin, SourcedCredentialAdmin sourced, CancellationToken cancellationToken)
    {
        var context = http.GetAuditContext();
        var result = await sourced.TryPutAsync(context, name, subject, ifMatch, body.Value, body.Kind, body.Labels, body.Source?.AzureKeyVault?.VaultUri,
                body.Source?.AzureKeyVault?.SecretName, body.Source is not null, cancellationToken)
            ?? await admin.PutAsync(context, name, subject, body.Value, body.Kind, body.Labels, ifMatch, cancellationToken, body.AgentAccess);
        var response = CredentialResponse.From(result.Credential!);
        http.Response.Headers.ETag = $"\"{response.Version}\"";
        return result.Outcome == CredentialWriteOutcome.Created
            ? TypedResults.Created($"/v1/credentials/{name}", response)
            : TypedResults.Ok(response);
    }

    public static async Task<Ok<CredentialListResponse>> ListAsync(HttpContext http, CredentialService credentials, CancellationToken cancellationToken)
    {
        var items = await credentials.ListAsync(http.GetCaller().Tenant, cancellationToken);
        return TypedResults.Ok(new CredentialListResponse(items.Select(CredentialListItem.From).ToArray()));
    }

    public static async Task<Results<Ok<CredentialDetailResponse>, ProblemHttpResult>> GetAsync(
        string name, [FromQuery] string? subject, HttpContext http, CredentialService credentials, CancellationToken cancellationToken)
    {
        var found = await credentials.DescribeAsync(http.GetCaller().Tenant, name, subject, cancellationToken);
        if (found is not { } f)
        {
            return NotFound(name);
        }

        var c = f.Credential;
        return TypedResults.Ok(await CredentialSourcesApi.WithSourceAsync(new CredentialDetailResponse(
            c.Name, c.Kind, c.Version, NullIfEmpty(c.Subject), c.Labels, c.CreatedAt, c.UpdatedAt,
            f.Versions.Select(v => new CredentialVersionResponse(v.Version, v.CreatedAt)).ToArray(), c.AgentAccess), http, cancellationToken));
    }

    public static async Task<NoContent> DeleteAsync(string name, [FromQuery] string? subject, HttpContext http, CredentialAdmin admin, CancellationToken cancellationToken)
    {
        await admin.DeleteAsync(http.GetAuditContext(), name, subject, cancellationToken);
        return TypedResults.NoContent();
    }

    internal static ProblemHttpResult NotFound(string name) =>
        TypedResults.Problem($"No credential '{name}' (for that subject) in this tenant.", statusCode: StatusCodes.Status404NotFound, title: "Not Found", type: Problems.TypeFor(404));

    internal static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}

public sealed record PutCredentialRequest(string? Value, string? Kind, Dictionary<string, string>? Labels, CredentialSourceRequest? Source = null, string? AgentAccess = null);

public sealed record CredentialResponse(
    string Name, string Kind, int Version, string? Subject, IReadOnlyDictionary<string, string> Labels, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string AgentAccess = CredentialAccess.Read)
{
    public static CredentialResponse From(CredentialSummary c) =>
        new(c.Name, c.Kind, c.Version, CredentialsApi.NullIfEmpty(c.Subject), c.Labels, c.CreatedAt, c.UpdatedAt, c.AgentAccess);
}

public sealed record CredentialListItem(
    string Name, string Kind, int Version, string? Subject, IReadOnlyDictionary<string, string> Labels, DateTimeOffset UpdatedAt, string AgentAccess = CredentialAccess.Read)
{
    public static CredentialListItem From(CredentialSummary c) =>
        new(c.Name, c.Kind, c.Version, CredentialsApi.NullIfEmpty(c.Subject), c.Labels, c.UpdatedAt, c.AgentAccess);
}

public sealed record CredentialListResponse(IReadOnlyList<CredentialListItem> Items);

public sealed record CredentialVersionResponse(int Version, DateTimeOffset CreatedAt);

public sealed record CredentialDetailResponse(
    string Name, string Kind, int Version, string? Subject, IReadOnlyDictionary<string, string> Labels, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<CredentialVersionResponse> Versions, string AgentAccess = CredentialAccess.Read)
{
    /// <summary>Where a Key Vault-sourced credential is copied from (absent otherwise); see <see cref="CredentialSourcesApi"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public CredentialSourceResponse? Source { get; init; }

    /// <summary><c>ok</c> or <c>error</c>: how the last sync from Key Vault went.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? SyncStatus { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? LastSyncedAt { get; init; }

    /// <summary>Why the last sync failed (never a secret).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? SyncError { get; init; }
}
