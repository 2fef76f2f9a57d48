using System.Globalization;
using Broker.Audit;
using Broker.Core;
using Broker.Keys;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>Inbound keys: issue (admin), list and revoke (admin, responder), revoke a leaked value, rotate with grace.</summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/keys").WithTags("Keys")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);

        api.MapPost("/", CreateAsync).RequireRole(Role.Admin).WithSummary("Issue a key; its value is shown once.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ListAsync).RequireRole(Role.Responder).WithSummary("List the tenant's keys (prefix, status, last use; never a key).");
        api.MapPost("/{id}/revoke", RevokeAsync).RequireRole(Role.Responder)
            .WithSummary("Revoke a key: once this answers, no request with it succeeds. Only the bootstrap admin key revokes itself.").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/revoke-leaked", RevokeLeakedAsync).RequireRole(Role.Responder)
            .WithSummary("Revoke the key a leaked value belongs to, and report its recent use.").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/{id}/rotate", RotateAsync).RequireRole(Role.Admin)
            .WithSummary("Issue a new secret for a key; the old one works for graceSeconds. Only the bootstrap admin key rotates itself, and its new secret is a plain admin key.").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<Created<IssuedKeyResponse>> CreateAsync([FromBody] CreateKeyRequest body, HttpContext http, KeyService keys, RequestAudit audit, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        string tenant;
        try
        {
            tenant = keys.Validate(caller, body).Tenant;
        }
        catch (BrokerException ex) when (ex.Kind == BrokerErrorKind.Forbidden)
        {
            await audit.RecordAsync(http, AuditActions.KeyCreate, "name=" + Truncate(body.Name), AuditOutcomes.Denied, "other_tenant");
            throw;
        }

        // Recorded before the key exists (fail closed); the target names the key, its id is in the response.
        await audit.RecordAsync(http, tenant, caller, AuditActions.KeyCreate, "name=" + Truncate(body.Name), AuditOutcomes.Allowed, body.Role);
        var issued = await keys.CreateAsync(caller, body, cancellationToken);
        return TypedResults.Created($"/v1/keys/{issued.Key.Id}", IssuedKeyResponse.From(issued));
    }

    public static async Task<Ok<KeyListResponse>> ListAsync(HttpContext http, KeyService keys, CancellationToken cancellationToken)
    {
        var items = await keys.ListAsync(http.GetCaller(), cancellationToken);
        return TypedResults.Ok(new KeyListResponse(items.Select(k => KeyListItem.From(k, keys.StatusOf(k))).ToArray()));
    }

    public static async Task<Results<Ok<RevokedKeyResponse>, ProblemHttpResult>> RevokeAsync(string id, HttpContext http, KeyService keys, RequestAudit audit, CancellationToken cancellationToken)
    {
        // A revoke is applied even when the audit trail is down (refusing it would keep a key alive); the
        // answer is then 503 and the revoke stands. See docs/audit.md.
        ApiKeyRecord? revoked;
        try
        {
            revoked = await keys.RevokeAsync(http.GetCaller(), id, cancellationToken);
        }
        catch (BrokerException ex) when (ex.Kind == BrokerErrorKind.Forbidden)
        {
            await audit.RecordAsync(http, AuditActions.KeyRevoke, Truncate(id), AuditOutcomes.Denied, BootstrapRule.Reason);
            throw;
        }

        if (revoked is null)
        {
            return KeyNotFound();
        }

        await audit.RecordAsync(http, AuditActions.KeyRevoke, revoked.Id);
        return TypedResults.Ok(new RevokedKeyResponse(revoked.Id, "revoked", revoked.RevokedAt!.Value));
    }

    public static async Task<Results<Ok<LeakedKeyResponse>, ProblemHttpResult>> RevokeLeakedAsync(
        [FromBody] RevokeLeakedRequest body, HttpContext http, KeyService keys, RequestAudit audit, IKeyUsageHistory history, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var revoked = await keys.RevokeLeakedAsync(caller, body.Key, cancellationToken);
        if (revoked is null)
        {
            await audit.RecordAsync(http, AuditActions.KeyRevokeLeaked, "unmatched", AuditOutcomes.Denied, "no_match");
            return TypedResults.Problem("The value matches no key of this tenant.", statusCode: StatusCodes.Status404NotFound, title: "Not Found", type: Problems.TypeFor(404));
        }

        await audit.RecordAsync(http, AuditActions.KeyRevokeLeaked, revoked.Id);
        var recent = await history.GetRecentUseAsync(caller.Tenant, revoked.Id, 50, cancellationToken);
        return TypedResults.Ok(new LeakedKeyResponse(revoked.Id, revoked.Name, revoked.Role.ToWire(), "revoked", revoked.RevokedAt!.Value, revoked.LastUsedAt, recent));
    }

    public static async Task<Results<Ok<IssuedKeyResponse>, ProblemHttpResult>> RotateAsync(
        string id, [FromBody] RotateKeyRequest? body, HttpContext http, KeyService keys, RequestAudit audit, CancellationToken cancellationToken)
    {
        try
        {
            await keys.GetForChangeAsync(http.GetCaller(), id, cancellationToken);
        }
        catch (BrokerException ex) when (ex.Kind == BrokerErrorKind.Forbidden)
        {
            await audit.RecordAsync(http, AuditActions.KeyRotate, Truncate(id), AuditOutcomes.Denied, BootstrapRule.Reason);
            throw;
        }

        // Recorded before the new secret exists (fail closed); the rotation checks the bootstrap rule again itself.
        await audit.RecordAsync(http, AuditActions.KeyRotate, Truncate(id), AuditOutcomes.Allowed, "grace=" + (body?.GraceSeconds ?? 0).ToString(CultureInfo.InvariantCulture));
        var issued = await keys.RotateAsync(http.GetCaller(), id, body?.GraceSeconds, cancellationToken);
        if (issued is null)
        {
            return KeyNotFound();
        }

        return TypedResults.Ok(IssuedKeyResponse.From(issued));
    }

    private static string Truncate(string? value) => value is null ? "" : value.Length > 128 ? value[..128] : value;

    private static ProblemHttpResult KeyNotFound() =>
        TypedResults.Problem("No key with that id in this tenant.", statusCode: StatusCodes.Status404NotFound, title: "Not Found", type: Problems.TypeFor(404));
}

public sealed record RevokeLeakedRequest(string? Key);

public sealed record RotateKeyRequest(int? GraceSeconds);

public sealed record IssuedKeyResponse(
    string Id, string Key, string Name, string Role, string Tenant, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    IReadOnlyList<string> Credentials, IReadOnlyList<string> Agents, int? RateLimitPerMinute, int? QuotaPerDay, IReadOnlyList<string> VerifyAs)
{
    public static IssuedKeyResponse From(IssuedKey issued)
    {
        var k = issued.Key;
        return new(k.Id, issued.Secret, k.Name, k.Role.ToWire(), k.Tenant, k.Prefix, k.CreatedAt, k.ExpiresAt, k.CredentialPatterns, k.AgentPatterns, k.RateLimitPerMinute, k.QuotaPerDay,
            k.VerifyAsPatterns ?? []);
    }

    public override string ToString() => $"IssuedKeyResponse {{ Id = {Id}, Prefix = {Prefix} }}";
}

public sealed record KeyListItem(
    string Id, string Name, string Role, string Tenant, string Prefix, string Status, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, IReadOnlyList<string> Credentials, IReadOnlyList<string> Agents, int? RateLimitPerMinute, int? QuotaPerDay,
    IReadOnlyList<string> VerifyAs)
{
    public static KeyListItem From(ApiKeyRecord k, KeyStatus status) =>
        new(k.Id, k.Name, k.Role.ToWire(), k.Tenant, k.Prefix, status.ToString().ToLowerInvariant(), k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt,
            k.CredentialPatterns, k.AgentPatterns, k.RateLimitPerMinute, k.QuotaPerDay, k.VerifyAsPatterns ?? []);
}

public sealed record KeyListResponse(IReadOnlyList<KeyListItem> Items);

public sealed record RevokedKeyResponse(string Id, string Status, DateTimeOffset RevokedAt);

public sealed record LeakedKeyResponse(string Id, string Name, string Role, string Status, DateTimeOffset RevokedAt, DateTimeOffset? LastUsedAt, IReadOnlyList<AuditRecord> RecentUse);
