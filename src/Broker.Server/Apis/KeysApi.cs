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

        api.MapPost("/", CreateAsync).RequireRole(Role.Admin).WithMetadata(new AuditedRoute(AuditActions.KeyCreate)).WithSummary("Issue a key; its value is shown once.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ListAsync).RequireRole(Role.Responder).WithSummary("List the tenant's keys (prefix, status, last use; never a key).");
        api.MapPost("/{id}/revoke", RevokeAsync).RequireRole(Role.Responder)
            .WithSummary("Revoke a key: once this answers, no request with it succeeds. Only the bootstrap admin key revokes itself.").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/revoke-leaked", RevokeLeakedAsync).RequireRole(Role.Responder).WithMetadata(new AuditedRoute(AuditActions.KeyRevokeLeaked, static (_, _) => "unmatched"))
            .WithSummary("Revoke the key a leaked value belongs to, and report its recent use.").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/{id}/rotate", RotateAsync).RequireRole(Role.Admin).WithMetadata(new AuditedRoute(AuditActions.KeyRotate, static (r, _) => Truncate(r["id"] as string)))
            .WithSummary("Issue a new secret for a key; the old one works for graceSeconds. Only the bootstrap admin key rotates itself, and its new secret is a plain admin key.").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Created<IssuedKeyResponse>> CreateAsync([FromBody] CreateKeyRequest body, HttpContext http, KeyService keys, RequestAudit audit, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var target = "name=" + Truncate(body.Name);
        string tenant;
        try
        {
            tenant = keys.Validate(caller, body).Tenant;
        }
        catch (BrokerOperationException ex)
        {
            var reason = ex.Kind == BrokerErrorKind.Forbidden ? "other_tenant" : AuditReason.For(ex).ToString();
            await audit.RecordAsync(http, AuditActions.KeyCreate, target, AuditOutcomes.Denied, reason);
            throw;
        }

        // Recorded before the key exists (fail closed); the target names the key, its id is in the response.
        var issued = await audit.ChangeAsync(
            http, tenant, caller, AuditActions.KeyCreate, target, new AuditReason().Add("role", body.Role).ToString(),
            token => keys.CreateAsync(caller, body, token));
        return TypedResults.Created($"/v1/keys/{issued.Key.Id}", IssuedKeyResponse.From(issued));
    }

    public static async Task<Ok<KeyListResponse>> ListAsync(HttpContext http, KeyService keys, CancellationToken cancellationToken)
    {
        var items = await keys.ListAsync(http.GetCaller(), cancellationToken);
        return TypedResults.Ok(new KeyListResponse(items.Select(k => KeyListItem.From(k, keys.StatusOf(k))).ToArray()));
    }

    public static async Task<Results<Ok<RevokedKeyResponse>, ProblemHttpResult>> RevokeAsync(string id, HttpContext http, KeyService keys, RequestAudit audit)
    {
        // A revoke is applied even when the audit trail is down (refusing it would keep a key alive); the
        // answer is then 503 and the revoke stands. See docs/audit.md. Once begun it ends and is recorded even if
        // the client goes away.
        ApiKeyRecord? revoked;
        try
        {
            revoked = await keys.RevokeAsync(http.GetCaller(), id, CancellationToken.None);
        }
        catch (BrokerOperationException ex) when (ex.Kind == BrokerErrorKind.Forbidden)
        {
            await audit.RecordAsync(http, AuditActions.KeyRevoke, Truncate(id), AuditOutcomes.Denied, BootstrapRule.Reason);
            throw;
        }

        if (revoked is null)
        {
            await audit.RecordAsync(http, AuditActions.KeyRevoke, Truncate(id), AuditOutcomes.Denied, AuditReason.NotFound);
            return KeyNotFound();
        }

        await audit.RecordMadeAsync(http, AuditActions.KeyRevoke, revoked.Id);
        return TypedResults.Ok(new RevokedKeyResponse(revoked.Id, "revoked", revoked.RevokedAt!.Value));
    }

    public static async Task<Results<Ok<LeakedKeyResponse>, ProblemHttpResult>> RevokeLeakedAsync(
        [FromBody] RevokeLeakedRequest body, HttpContext http, KeyService keys, RequestAudit audit, IKeyUsageHistory history, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        ApiKeyRecord? revoked;
        try
        {
            revoked = await keys.RevokeLeakedAsync(caller, body.Key, CancellationToken.None);
        }
        catch (ValidationException ex)
        {
            await audit.RecordAsync(http, AuditActions.KeyRevokeLeaked, "unmatched", AuditOutcomes.Denied, AuditReason.For(ex).ToString());
            throw;
        }

        if (revoked is null)
        {
            await audit.RecordAsync(http, AuditActions.KeyRevokeLeaked, "unmatched", AuditOutcomes.Denied, AuditReason.NotFound);
            return TypedResults.Problem("The value matches no key of this tenant.", statusCode: StatusCodes.Status404NotFound, title: "Not Found", type: Problems.TypeFor(404));
        }

        await audit.RecordMadeAsync(http, AuditActions.KeyRevokeLeaked, revoked.Id);
        var recent = await history.GetRecentUseAsync(caller.Tenant, revoked.Id, 50, cancellationToken);
        return TypedResults.Ok(new LeakedKeyResponse(revoked.Id, revoked.Name, revoked.Role.ToWire(), "revoked", revoked.RevokedAt!.Value, revoked.LastUsedAt, recent));
    }

    public static async Task<Results<Ok<IssuedKeyResponse>, ProblemHttpResult>> RotateAsync(
        string id, [FromBody] RotateKeyRequest? body, HttpContext http, KeyService keys, RequestAudit audit, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var target = Truncate(id);
        var grace = body?.GraceSeconds;
        ApiKeyRecord? existing;
        try
        {
            existing = await keys.CheckRotateAsync(caller, id, grace, cancellationToken);
        }
        catch (BrokerOperationException ex)
        {
            var reason = ex.Kind == BrokerErrorKind.Forbidden ? BootstrapRule.Reason : AuditReason.For(ex).ToString();
            await audit.RecordAsync(http, AuditActions.KeyRotate, target, AuditReason.OutcomeFor(ex.Kind), reason);
            throw;
        }

        if (existing is null)
        {
            await audit.RecordAsync(http, AuditActions.KeyRotate, target, AuditOutcomes.Denied, AuditReason.NotFound);
            return KeyNotFound();
        }

        // Fail closed: the new secret exists only once the rotation's record is durable. A key revoked or gone since
        // the check is refused by the store, and a second record says so.
        var issued = await audit.ChangeAsync(
            http, caller.Tenant, caller, AuditActions.KeyRotate, target, new AuditReason().Add("grace", grace ?? 0).ToString(),
            token => keys.RotateAsync(caller, id, grace, token),
            i => i is null ? AuditReason.NotFound : null);
        return issued is null ? KeyNotFound() : TypedResults.Ok(IssuedKeyResponse.From(issued));
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
