using System.Data.Common;
using Broker.Approvals;
using Dapper;

namespace Broker.Storage.Approvals;

/// <summary>
/// <see cref="IApprovalStore"/> written once for every SQL database: the rows of <c>approvals</c>. A decision and a use
/// are each one conditional UPDATE, so of two approvers, or two replays of one approval, exactly one changes the row.
/// </summary>
public abstract class SqlApprovalStore : IApprovalStore
{
    private const string Columns = """
        tenant AS Tenant, id AS Id, key_id AS KeyId, requested_by AS RequestedBy, kind AS Kind, target AS Target, scopes AS Scopes,
        role_arn AS RoleArn, on_behalf_of AS OnBehalfOf, task AS Task, lifetime_seconds AS LifetimeSeconds, params_hash AS ParamsHash,
        status AS Status, created_at AS CreatedAt, expires_at AS ExpiresAt, decided_by_key_id AS DecidedByKeyId, decided_by AS DecidedBy,
        decided_at AS DecidedAt, reason AS Reason, granted_lifetime AS GrantedLifetime, granted_scopes AS GrantedScopes, consumed_at AS ConsumedAt
        """;

    private readonly StoreDialect _dialect;

    protected SqlApprovalStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
    }

    public Task InsertAsync(Approval approval, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var ask = approval.Ask;
        return _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO approvals (tenant, id, key_id, requested_by, kind, target, scopes, role_arn, on_behalf_of, task, lifetime_seconds,
                                   params_hash, status, created_at, expires_at)
            VALUES (@Tenant, @Id, @KeyId, @RequestedBy, @Kind, @Target, @Scopes, @RoleArn, @OnBehalfOf, @Task, @Lifetime, @Hash, @Status, @CreatedAt, @ExpiresAt)
            """,
            new
            {
                approval.Tenant, approval.Id, approval.KeyId, approval.RequestedBy, ask.Kind, ask.Target, Scopes = StoreJson.Write(ask.Scopes),
                ask.RoleArn, ask.OnBehalfOf, ask.Task, Lifetime = (long?)ask.LifetimeSeconds, ask.Hash, Status = approval.StoredStatus,
                CreatedAt = UnixMs.From(approval.CreatedAt), ExpiresAt = UnixMs.From(approval.ExpiresAt),
            },
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task<Approval?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection => (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM approvals WHERE tenant = @tenant AND id = @id", new { tenant, id }, cancellationToken: cancellationToken)).ConfigureAwait(false))?.ToApproval(),
            cancellationToken);

    public Task<IReadOnlyList<Approval>> ListAsync(string tenant, DateTimeOffset? pendingAt, int limit, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<Approval>>(async connection =>
            (await connection.QueryAsync<Row>(new CommandDefinition(
                pendingAt is null
                    ? $"SELECT {Columns} FROM approvals WHERE tenant = @tenant ORDER BY created_at DESC LIMIT @limit"
                    : $"SELECT {Columns} FROM approvals WHERE tenant = @tenant AND status = 'pending' AND expires_at > @now ORDER BY created_at DESC LIMIT @limit",
                new { tenant, limit, now = UnixMs.From(pendingAt) }, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .Select(r => r.ToApproval()).ToArray(),
            cancellationToken);

    public Task<bool> DecideAsync(string tenant, string id, ApprovalDecision decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return _dialect.RunAsync(async connection =>
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE approvals SET status = @Status, decided_by_key_id = @DecidedByKeyId, decided_by = @DecidedBy, decided_at = @DecidedAt,
                       reason = @Reason, expires_at = @ExpiresAt, granted_lifetime = @GrantedLifetime, granted_scopes = @GrantedScopes,
                       expiry_announced = FALSE
                WHERE tenant = @tenant AND id = @id AND status = 'pending' AND expires_at > @DecidedAt
                """,
                new
                {
                    tenant, id, decision.Status, decision.DecidedByKeyId, decision.DecidedBy, DecidedAt = UnixMs.From(decision.DecidedAt), decision.Reason,
                    ExpiresAt = UnixMs.From(decision.ExpiresAt), GrantedLifetime = (long?)decision.GrantedLifetimeSeconds,
                    GrantedScopes = decision.GrantedScopes is null ? null : StoreJson.Write(decision.GrantedScopes),
                },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (changed > 0)
            {
                await AfterDecideAsync(connection, tenant, id, cancellationToken).ConfigureAwait(false);
            }

            return changed > 0;
        }, cancellationToken);
    }

    public Task<bool> ConsumeAsync(string tenant, string id, string keyId, string hash, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE approvals SET consumed_at = @now
            WHERE tenant = @tenant AND id = @id AND key_id = @keyId AND params_hash = @hash AND status = 'approved'
              AND consumed_at IS NULL AND expires_at > @now
            """,
            new { tenant, id, keyId, hash, now = UnixMs.From(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0,
            cancellationToken);

    public Task<bool> ReleaseAsync(string tenant, string id, string keyId, DateTimeOffset consumedAt, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE approvals SET consumed_at = NULL
            WHERE tenant = @tenant AND id = @id AND key_id = @keyId AND status = 'approved' AND consumed_at = @consumedAt
            """,
            new { tenant, id, keyId, consumedAt = UnixMs.From(consumedAt) }, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0,
            cancellationToken);

    public Task<int> PruneAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM approvals WHERE expires_at < @expiredBefore",
            new { expiredBefore = UnixMs.From(expiredBefore) }, cancellationToken: cancellationToken)),
            cancellationToken);

    public Task<IReadOnlyList<Approval>> ListExpiryDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<Approval>>(async connection =>
            (await connection.QueryAsync<Row>(new CommandDefinition(
                // FALSE as a literal, the same text as the partial index approvals_expiry_due (both dialects read it).
                $"SELECT {Columns} FROM approvals WHERE expiry_announced = FALSE AND expires_at <= @now ORDER BY expires_at LIMIT @limit",
                new { now = UnixMs.From(now), limit }, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .Select(r => r.ToApproval()).ToArray(),
            cancellationToken);

    public Task<bool> ClaimExpiryAsync(string tenant, string id, bool claimed = true, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            claimed
                ? "UPDATE approvals SET expiry_announced = TRUE WHERE tenant = @tenant AND id = @id AND expiry_announced = FALSE"
                : "UPDATE approvals SET expiry_announced = FALSE WHERE tenant = @tenant AND id = @id AND expiry_announced = TRUE",
            new { tenant, id }, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0,
            cancellationToken);

    public Task AddAnnouncementAsync(string tenant, string approvalId, string body, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO approval_announcements (tenant, approval_id, body, created_at, next_attempt_at)
            VALUES (@tenant, @approvalId, @body, @now, @now)
            """,
            new { tenant, approvalId, body, now = UnixMs.From(now) }, cancellationToken: cancellationToken)), cancellationToken);

    public Task<IReadOnlyList<ApprovalAnnouncement>> ClaimAnnouncementsAsync(DateTimeOffset now, DateTimeOffset claimedUntil, int limit, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<ApprovalAnnouncement>>(async connection =>
            (await connection.QueryAsync<AnnouncementRow>(new CommandDefinition(
                // The outer condition is checked again on a row another replica claimed meanwhile (PostgreSQL re-reads a
                // row it waited for), so of two replicas claiming at once each row goes to one.
                """
                UPDATE approval_announcements SET claimed_until = @until
                WHERE id IN (
                    SELECT a.id FROM approval_announcements a
                    WHERE a.next_attempt_at <= @now AND (a.claimed_until IS NULL OR a.claimed_until <= @now)
                      AND NOT EXISTS (SELECT 1 FROM approval_announcements b WHERE b.tenant = a.tenant AND b.approval_id = a.approval_id AND b.id < a.id)
                    ORDER BY a.id
                    LIMIT @limit)
                  AND (claimed_until IS NULL OR claimed_until <= @now)
                RETURNING id AS Id, tenant AS Tenant, approval_id AS ApprovalId, body AS Body, attempts AS Attempts, created_at AS CreatedAt
                """,
                new { now = UnixMs.From(now), until = UnixMs.From(claimedUntil), limit }, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .OrderBy(r => r.Id).Select(r => new ApprovalAnnouncement(r.Id, r.Tenant, r.ApprovalId, r.Body, (int)r.Attempts, UnixMs.To(r.CreatedAt)))
            .ToArray(),
            cancellationToken);

    public Task DeleteAnnouncementAsync(long id, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM approval_announcements WHERE id = @id", new { id }, cancellationToken: cancellationToken)), cancellationToken);

    public Task RetryAnnouncementAsync(long id, int attempts, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE approval_announcements SET attempts = @attempts, next_attempt_at = @next, claimed_until = NULL WHERE id = @id",
            new { id, attempts, next = UnixMs.From(nextAttemptAt) }, cancellationToken: cancellationToken)), cancellationToken);

    private sealed record AnnouncementRow(long Id, string Tenant, string ApprovalId, string Body, long Attempts, long CreatedAt);

    /// <summary>Called after a committed decision, on the same connection, to wake the other replicas' waiters (PostgreSQL: a NOTIFY).</summary>
    protected virtual Task AfterDecideAsync(DbConnection connection, string tenant, string id, CancellationToken cancellationToken) => Task.CompletedTask;

    private sealed record Row(
        string Tenant, string Id, string KeyId, string RequestedBy, string Kind, string Target, string Scopes, string? RoleArn, string? OnBehalfOf,
        string? Task, long? LifetimeSeconds, string ParamsHash, string Status, long CreatedAt, long ExpiresAt, string? DecidedByKeyId, string? DecidedBy,
        long? DecidedAt, string? Reason, long? GrantedLifetime, string? GrantedScopes, long? ConsumedAt)
    {
        public Approval ToApproval() => new(
            Id, Tenant, KeyId, RequestedBy,
            new ApprovalAsk(Kind, Target, StoreJson.ReadList(Scopes), RoleArn, OnBehalfOf, Task, (int?)LifetimeSeconds, ParamsHash),
            Status, UnixMs.To(CreatedAt), UnixMs.To(ExpiresAt), DecidedByKeyId, DecidedBy, UnixMs.To(DecidedAt), Reason, (int?)GrantedLifetime,
            GrantedScopes is null ? null : StoreJson.ReadList(GrantedScopes), UnixMs.To(ConsumedAt));
    }
}
