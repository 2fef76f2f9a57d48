using System.Globalization;
using Broker.Audit;
using Broker.Core;
using Broker.Credentials;
using Broker.Keys;
using Broker.Server.Hosting;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Broker.Server.Apis;

/// <summary>
/// What an agent reads: the values its patterns allow, as a full load or a delta after a cursor, with ETag/304
/// and long-poll (<c>wait=</c>) woken by the in-process change signal, never by re-reading the store per waiter.
/// </summary>
public static class AgentCredentialsApi
{
    public const int MaxWaitSeconds = 60;

    public static IEndpointRouteBuilder MapAgentCredentialsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/agent/credentials").WithTags("Agent").RequireRole(Role.Agent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/", ReadAllAsync).WithSummary("The credentials this key may read; since= for a delta, If-None-Match for 304, wait= to long-poll.")
            .Produces(StatusCodes.Status304NotModified);
        api.MapGet("/{name}", ReadOneAsync).WithSummary("One credential's value (subject= for a per-user value; never a fall-back).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<Results<Ok<AgentCredentialsResponse>, StatusCodeHttpResult, ProblemHttpResult, UnauthenticatedHttpResult>> ReadAllAsync(
        [FromQuery] string? since, [FromQuery] int? wait, [FromHeader(Name = "If-None-Match")] string? ifNoneMatch,
        HttpContext http, CredentialService credentials, RequestAudit audit, LongPollLimiter longPolls, TimeProvider time, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var deadline = time.GetUtcNow().AddSeconds(wait ?? 0);
        if (wait is < 0 or > MaxWaitSeconds)
        {
            throw new ValidationException("wait", $"\"wait\" is a number of seconds from 0 to {MaxWaitSeconds}.");
        }

        long? sinceCursor = since is null ? null : ParseCursor(since, "since");
        long? etagCursor = ParseETag(ifNoneMatch);
        if (wait > 0 && sinceCursor is null && etagCursor is null)
        {
            throw new ValidationException("wait", "\"wait\" needs since= or If-None-Match.");
        }

        // Take the signal's link before reading, so a change between the read and the wait is not missed.
        var watch = credentials.Signal.Watch(caller.Tenant);
        var baseline = sinceCursor ?? etagCursor;
        var changes = await credentials.GetChangesAsync(caller.Tenant, baseline, cancellationToken);
        var view = Filter(caller, changes);
        if (view.Empty && wait > 0)
        {
            if (!longPolls.TryEnter(caller.KeyId))
            {
                http.Response.Headers.RetryAfter = "1";
                return TypedResults.Problem("This key holds too many long-polls at once.", statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests", type: Problems.TypeFor(429));
            }

            // A shutdown answers held long-polls at once (304: the client re-polls another replica or later).
            // The key authenticated this request before the wait; the wait ends when it is revoked, rotated away or
            // expires, and the key is checked again before anything is answered (docs/revocation.md).
            var held = http.GetAuthenticatedKey();
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
            try
            {
                var cursor = changes.Cursor;
                KeyWaitOutcome outcome;
                try
                {
                    outcome = await held.WaitAsync(token => CredentialChangeSignal.WaitAsync(watch, cursor, caller.MayReadCredential, token), deadline, stopping.Token);
                }
                catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    outcome = KeyWaitOutcome.TimedOut;
                }

                if (outcome == KeyWaitOutcome.KeyInvalid)
                {
                    return await RefuseAsync(http, caller, audit);
                }

                if (outcome == KeyWaitOutcome.Signalled)
                {
                    changes = await credentials.GetChangesAsync(caller.Tenant, baseline, cancellationToken);
                    view = Filter(caller, changes);
                }
            }
            finally
            {
                longPolls.Exit(caller.KeyId);
            }

            // Whatever ended the wait (and the read after it), the key must still be valid for what leaves now.
            if ((await held.RecheckAsync(cancellationToken)).Status != KeyCheckStatus.Valid)
            {
                return await RefuseAsync(http, caller, audit);
            }
        }

        if (view.Empty && (etagCursor is not null || wait > 0))
        {
            http.Response.Headers.ETag = ETagOf(etagCursor ?? changes.Cursor);
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var values = new List<AgentCredentialResponse>(view.Changed.Count);
        foreach (var record in view.Changed)
        {
            var value = credentials.Decrypt(record);
            values.Add(new AgentCredentialResponse(value.Name, value.Kind, value.Version, value.Value, value.UpdatedAt));
        }

        // Fail closed: values leave only after their reads are durable in the audit trail (one shared commit).
        await audit.RecordReadsAsync(http, values.Select(v => (v.Name, v.Version, v.Value)));

        http.Response.Headers.ETag = ETagOf(changes.Cursor);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new AgentCredentialsResponse(changes.Cursor.ToString(CultureInfo.InvariantCulture), values, view.Removed));
    }

    public static async Task<Results<Ok<AgentCredentialResponse>, ProblemHttpResult>> ReadOneAsync(
        string name, [FromQuery] string? subject, HttpContext http, CredentialService credentials, RequestAudit audit, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        CredentialService.ValidateName(name);
        var target = CredentialsApi.Target(name, subject);
        if (!caller.MayReadCredential(name))
        {
            await audit.RecordAsync(http, AuditActions.CredentialRead, target, AuditOutcomes.Denied, "pattern");
            return TypedResults.Problem($"This key's credential patterns do not allow '{name}'.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", type: Problems.TypeFor(403));
        }

        var value = await credentials.ReadAsync(caller.Tenant, name, subject, cancellationToken);
        if (value is null)
        {
            return CredentialsApi.NotFound(name);
        }

        await audit.RecordReadsAsync(http, [(target, value.Version, value.Value)]);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new AgentCredentialResponse(value.Name, value.Kind, value.Version, value.Value, value.UpdatedAt));
    }

    /// <summary>The same 401 as for an unknown key, for a request whose key stopped being valid while it waited.</summary>
    private static async Task<UnauthenticatedHttpResult> RefuseAsync(HttpContext http, Caller caller, RequestAudit audit)
    {
        await audit.RecordDeniedAsync(http, caller, StatusCodes.Status401Unauthorized, "unauthenticated");
        return UnauthenticatedHttpResult.Instance;
    }

    private static (IReadOnlyList<CredentialRecord> Changed, IReadOnlyList<string> Removed, bool Empty) Filter(Caller caller, CredentialChanges changes)
    {
        var changed = changes.Changed.Where(c => caller.MayReadCredential(c.Name)).ToArray();
        var removed = changes.Removed.Where(caller.MayReadCredential).ToArray();
        return (changed, removed, changed.Length == 0 && removed.Length == 0);
    }

    private static string ETagOf(long cursor) => "\"" + cursor.ToString(CultureInfo.InvariantCulture) + "\"";

    private static long? ParseETag(string? ifNoneMatch)
    {
        if (string.IsNullOrWhiteSpace(ifNoneMatch))
        {
            return null;
        }

        var value = ifNoneMatch.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        return ParseCursor(value.Trim('"'), "If-None-Match");
    }

    private static long ParseCursor(string value, string field) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor)
            ? cursor
            : throw new ValidationException(field, $"\"{field}\" must be a cursor (or ETag) this route returned.");
}

public sealed record AgentCredentialResponse(string Name, string Kind, int Version, string Value, DateTimeOffset UpdatedAt)
{
    public override string ToString() => $"AgentCredentialResponse {{ Name = {Name}, Version = {Version} }}";
}

public sealed record AgentCredentialsResponse(string Cursor, IReadOnlyList<AgentCredentialResponse> Credentials, IReadOnlyList<string> Removed);
