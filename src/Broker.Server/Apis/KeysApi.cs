using Broker.Audit;
using Broker.Core;
using Broker.Core.Grants;
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
        api.MapMethods("/{id}", ["PATCH"], UpdateAsync).RequireRole(Role.Admin).WithMetadata(new AuditedRoute(AuditActions.KeyUpdate, static (r, _) => Truncate(r["id"] as string)))
            .WithSummary("Change what a key may do (patterns, grants, limits, expiry); a narrowing holds on every replica before the answer.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/{id}/rotate", RotateAsync).RequireRole(Role.Admin).WithMetadata(new AuditedRoute(AuditActions.KeyRotate, static (r, _) => Truncate(r["id"] as string)))
            .WithSummary("Issue a new secret for a key; the old one works for graceSeconds. Only the bootstrap admin key rotates itself, and its new secret is a plain admin key.").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Created<IssuedKeyResponse>> CreateAsync([FromBody] CreateKeyRequest body, HttpContext http, KeyAdmin admin, CancellationToken cancellationToken)
    {
        var issued = await admin.CreateAsync(http.GetAuditContext(), body, cancellationToken);
        return TypedResults.Created($"/v1/keys/{issued.Key.Id}", IssuedKeyResponse.From(issued));
    }

    public static async Task<Ok<KeyListResponse>> ListAsync(HttpContext http, KeyService keys, CancellationToken cancellationToken)
    {
        var items = await keys.ListAsync(http.GetCaller(), cancellationToken);
        return TypedResults.Ok(new KeyListResponse(items.Select(k => KeyListItem.From(k, keys.StatusOf(k))).ToArray()));
    }

    public static async Task<Ok<RevokedKeyResponse>> RevokeAsync(string id, HttpContext http, KeyAdmin admin, CancellationToken cancellationToken)
    {
        var revoked = await admin.RevokeAsync(http.GetAuditContext(), id, cancellationToken);
        return TypedResults.Ok(new RevokedKeyResponse(revoked.Id, "revoked", revoked.RevokedAt!.Value));
    }

    public static async Task<Ok<LeakedKeyResponse>> RevokeLeakedAsync([FromBody] RevokeLeakedRequest body, HttpContext http, KeyAdmin admin, CancellationToken cancellationToken)
    {
        var report = await admin.RevokeLeakedAsync(http.GetAuditContext(), body.Key, cancellationToken);
        var k = report.Key;
        return TypedResults.Ok(new LeakedKeyResponse(k.Id, k.Name, k.Role.ToWire(), "revoked", k.RevokedAt!.Value, k.LastUsedAt, report.RecentUse));
    }

    public static async Task<Ok<KeyListItem>> UpdateAsync(string id, [FromBody] PatchKeyRequest body, HttpContext http, KeyAdmin admin, KeyService keys, CancellationToken cancellationToken)
    {
        var updated = await admin.UpdateAsync(http.GetAuditContext(), id, body, cancellationToken);
        return TypedResults.Ok(KeyListItem.From(updated, keys.StatusOf(updated)));
    }

    public static async Task<Ok<IssuedKeyResponse>> RotateAsync(string id, [FromBody] RotateKeyRequest? body, HttpContext http, KeyAdmin admin, CancellationToken cancellationToken)
    {
        var issued = await admin.RotateAsync(http.GetAuditContext(), id, body?.GraceSeconds, cancellationToken);
        return TypedResults.Ok(IssuedKeyResponse.From(issued));
    }

    private static string Truncate(string? value) => AuditTrail.Bounded(value);
}

public sealed record RevokeLeakedRequest(string? Key);

public sealed record RotateKeyRequest(int? GraceSeconds);

public sealed record IssuedKeyResponse(
    string Id, string Key, string Name, string Role, string Tenant, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    IReadOnlyList<string> Credentials, IReadOnlyList<string> Agents, int? RateLimitPerMinute, int? QuotaPerDay, IReadOnlyList<string> VerifyAs,
    TokenGrant? Tokens = null, StsGrant? Sts = null, string? Subjects = null, ApprovalGrant? Approval = null, string? Subject = null)
{
    public static IssuedKeyResponse From(IssuedKey issued)
    {
        var k = issued.Key;
        return new(k.Id, issued.Secret, k.Name, k.Role.ToWire(), k.Tenant, k.Prefix, k.CreatedAt, k.ExpiresAt, k.CredentialPatterns, k.AgentPatterns, k.RateLimitPerMinute, k.QuotaPerDay,
            k.VerifyAsPatterns ?? [], k.Grants?.Tokens, k.Grants?.Sts, k.Grants?.Subjects, k.Grants?.Approval, k.Role == Broker.Core.Role.Caller ? k.EffectiveSubject : null);
    }

    public override string ToString() => $"IssuedKeyResponse {{ Id = {Id}, Prefix = {Prefix} }}";
}

public sealed record KeyListItem(
    string Id, string Name, string Role, string Tenant, string Prefix, string Status, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, IReadOnlyList<string> Credentials, IReadOnlyList<string> Agents, int? RateLimitPerMinute, int? QuotaPerDay,
    IReadOnlyList<string> VerifyAs, TokenGrant? Tokens = null, StsGrant? Sts = null, string? Subjects = null, ApprovalGrant? Approval = null, string? Subject = null)
{
    public static KeyListItem From(ApiKeyRecord k, KeyStatus status) =>
        new(k.Id, k.Name, k.Role.ToWire(), k.Tenant, k.Prefix, status.ToString().ToLowerInvariant(), k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt,
            k.CredentialPatterns, k.AgentPatterns, k.RateLimitPerMinute, k.QuotaPerDay, k.VerifyAsPatterns ?? [],
            k.Grants?.Tokens, k.Grants?.Sts, k.Grants?.Subjects, k.Grants?.Approval, k.Role == Broker.Core.Role.Caller ? k.EffectiveSubject : null);
}

public sealed record KeyListResponse(IReadOnlyList<KeyListItem> Items);

public sealed record RevokedKeyResponse(string Id, string Status, DateTimeOffset RevokedAt);

public sealed record LeakedKeyResponse(string Id, string Name, string Role, string Status, DateTimeOffset RevokedAt, DateTimeOffset? LastUsedAt, IReadOnlyList<AuditRecord> RecentUse);
