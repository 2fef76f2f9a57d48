using System.Globalization;
using Broker.Audit;
using Broker.Core;
using Broker.Credentials;
using Broker.Server.Security;
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

        api.MapPut("/{name}", PutAsync).WithMetadata(new AuditedRoute(AuditActions.CredentialWrite, static (r, q) => AuditTarget(r["name"] as string ?? "", q["subject"].ToString())))
            .WithSummary("Store a value: 201 first, 200 new version, 200 unchanged keeps the version.")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ListAsync).WithSummary("List credentials (metadata only).");
        api.MapGet("/{name}", GetAsync).WithSummary("Describe a credential with its versions (never the value).").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a credential (every subject), or with subject= only that subject's value.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Results<Created<CredentialResponse>, Ok<CredentialResponse>, ProblemHttpResult>> PutAsync(
        string name, [FromQuery] string? subject, [FromHeader(Name = "If-Match")] string? ifMatch, [FromBody] PutCredentialRequest body,
        HttpContext http, CredentialService credentials, RequestAudit audit, CancellationToken cancellationToken)
    {
        if (await CredentialSourcesApi.TryPutAsync(name, subject, ifMatch, body, http, credentials, audit, cancellationToken) is { } sourced)
        {
            return sourced;
        }

        var caller = http.GetCaller();
        var target = AuditTarget(name, subject);

        // What can be refused without writing is refused here, recorded as denied, and changes nothing.
        int? expected;
        CredentialWriteResult? refused;
        try
        {
            CredentialService.ValidateName(name);
            expected = ParseIfMatch(ifMatch);
            refused = await credentials.CheckPutAsync(caller.Tenant, name, subject, body.Value, body.Kind, body.Labels, expected, cancellationToken);
        }
        catch (ValidationException ex)
        {
            await audit.RecordAsync(http, AuditActions.CredentialWrite, target, AuditOutcomes.Denied, AuditReason.For(ex).ToString());
            throw;
        }

        if (refused is not null)
        {
            await audit.RecordAsync(http, AuditActions.CredentialWrite, target, AuditOutcomes.Denied, PreconditionReason(expected, refused));
            return PreconditionFailed(refused);
        }

        // Fail closed: the change is made only once its audit record is durable (503 otherwise, nothing changed). A
        // version that moved since the check is refused by the store's transaction and recorded as a second record.
        var result = await audit.ChangeAsync(
            http, caller.Tenant, caller, AuditActions.CredentialWrite, target, expected is null ? null : new AuditReason().Add("ifMatch", expected).ToString(),
            token => credentials.PutAsync(caller.Tenant, name, subject, body.Value, body.Kind, body.Labels, expected, token),
            r => r.Outcome == CredentialWriteOutcome.PreconditionFailed ? PreconditionReason(expected, r) : null);
        if (result.Outcome == CredentialWriteOutcome.PreconditionFailed)
        {
            return PreconditionFailed(result);
        }

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
            f.Versions.Select(v => new CredentialVersionResponse(v.Version, v.CreatedAt)).ToArray()), http, cancellationToken));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string name, [FromQuery] string? subject, HttpContext http, CredentialService credentials, RequestAudit audit, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var target = AuditTarget(name, subject);
        bool exists;
        try
        {
            exists = await credentials.ExistsAsync(caller.Tenant, name, subject, cancellationToken);
        }
        catch (ValidationException ex)
        {
            await audit.RecordAsync(http, AuditActions.CredentialDelete, target, AuditOutcomes.Denied, AuditReason.For(ex).ToString());
            throw;
        }

        if (!exists)
        {
            await audit.RecordAsync(http, AuditActions.CredentialDelete, target, AuditOutcomes.Denied, AuditReason.NotFound);
            return NotFound(name);
        }

        var deleted = await audit.ChangeAsync(
            http, caller.Tenant, caller, AuditActions.CredentialDelete, target, null,
            token => credentials.DeleteAsync(caller.Tenant, name, subject, token),
            d => d ? null : AuditReason.NotFound);
        return deleted ? TypedResults.NoContent() : NotFound(name);
    }

    internal static ProblemHttpResult NotFound(string name) =>
        TypedResults.Problem($"No credential '{name}' (for that subject) in this tenant.", statusCode: StatusCodes.Status404NotFound, title: "Not Found", type: Problems.TypeFor(404));

    internal static string Target(string name, string? subject) => string.IsNullOrEmpty(subject) ? name : name + "?subject=" + subject;

    internal static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>The record's target even for a name or subject that failed validation: bounded, so a refusal cannot flood the trail.</summary>
    internal static string AuditTarget(string name, string? subject)
    {
        var target = Target(name, subject);
        return target.Length > 512 ? target[..512] : target;
    }

    internal static string PreconditionReason(int? expected, CredentialWriteResult refused) =>
        new AuditReason(AuditReason.PreconditionFailed).Add("ifMatch", expected).Add("current", refused.Credential?.Version).ToString();

    internal static ProblemHttpResult PreconditionFailed(CredentialWriteResult refused) =>
        TypedResults.Problem(
            refused.Credential is null ? "The value does not exist yet, so If-Match cannot match." : $"The current version is {refused.Credential.Version}.",
            statusCode: StatusCodes.Status412PreconditionFailed, title: "Precondition Failed", type: Problems.TypeFor(412));

    internal static int? ParseIfMatch(string? ifMatch)
    {
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return null;
        }

        var value = ifMatch.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        value = value.Trim('"');
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw new ValidationException("If-Match", "If-Match must be a version in quotes, e.g. \"3\".");
        }

        return version;
    }
}

public sealed record PutCredentialRequest(string? Value, string? Kind, Dictionary<string, string>? Labels, CredentialSourceRequest? Source = null);

public sealed record CredentialResponse(string Name, string Kind, int Version, string? Subject, IReadOnlyDictionary<string, string> Labels, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static CredentialResponse From(CredentialSummary c) =>
        new(c.Name, c.Kind, c.Version, CredentialsApi.NullIfEmpty(c.Subject), c.Labels, c.CreatedAt, c.UpdatedAt);
}

public sealed record CredentialListItem(string Name, string Kind, int Version, string? Subject, IReadOnlyDictionary<string, string> Labels, DateTimeOffset UpdatedAt)
{
    public static CredentialListItem From(CredentialSummary c) => new(c.Name, c.Kind, c.Version, CredentialsApi.NullIfEmpty(c.Subject), c.Labels, c.UpdatedAt);
}

public sealed record CredentialListResponse(IReadOnlyList<CredentialListItem> Items);

public sealed record CredentialVersionResponse(int Version, DateTimeOffset CreatedAt);

public sealed record CredentialDetailResponse(
    string Name, string Kind, int Version, string? Subject, IReadOnlyDictionary<string, string> Labels, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<CredentialVersionResponse> Versions)
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
