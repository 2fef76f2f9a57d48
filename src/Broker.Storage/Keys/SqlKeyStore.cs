using System.Data.Common;
using System.Security.Cryptography;
using Broker.Core;
using Broker.Keys;
using Broker.Storage.Rows;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Keys;

/// <summary>
/// <see cref="IKeyStore"/> written once for every SQL database; the <see cref="StoreDialect"/> and the hooks supply
/// what differs (how a key event is numbered and announced, how a new key's secret is inserted, how last use is
/// written). A revoke or rotation appends to <c>key_events</c> in its own transaction. A row with a role the broker
/// does not know reads as no key (logged).
/// </summary>
public abstract class SqlKeyStore : IKeyStore
{
    /// <summary>
    /// The key's columns as <see cref="ApiKeyRow"/> reads them, from <c>api_keys k</c>. A new column goes here, in
    /// <see cref="ApiKeyRow"/> and in the INSERT of <see cref="InsertAsync"/>.
    /// </summary>
    private const string Columns = """
        k.id AS Id, k.tenant AS Tenant, k.name AS Name, k.role AS Role, k.prefix AS Prefix,
        k.credential_patterns AS CredentialPatterns, k.agent_patterns AS AgentPatterns, k.verify_as_patterns AS VerifyAsPatterns,
        k.rate_limit_per_minute AS RateLimitPerMinute, k.quota_per_day AS QuotaPerDay,
        k.created_at AS CreatedAt, k.expires_at AS ExpiresAt, k.revoked_at AS RevokedAt,
        k.last_used_at AS LastUsedAt, k.is_bootstrap AS IsBootstrap, k.grants AS Grants, k.subject AS Subject
        """;

    private const string SelectKey = "SELECT " + Columns + " FROM api_keys k";

    private const string WhereKey = " WHERE k.tenant = @tenant AND k.id = @id";

    /// <summary>Inserts a key's secret (<c>@secretHash</c>) for key <c>@id</c>, with no expiry.</summary>
    protected const string InsertSecret = "INSERT INTO key_secrets (hash, key_id, expires_at) VALUES (@secretHash, @id, NULL)";

    private readonly StoreDialect _dialect;
    private readonly ILogger _logger;
    private readonly string _list;
    private readonly string _findBootstrap;
    private readonly string _revokeBootstrapBefore;

    protected SqlKeyStore(StoreDialect dialect, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
        _logger = logger ?? NullLogger.Instance;
        _list = SelectKey + $" WHERE k.tenant = @tenant ORDER BY k.created_at, {dialect.Ordinal("k.id")}";
        _findBootstrap = SelectKey + $" WHERE k.bootstrap_secret_hash = @secretHash ORDER BY k.created_at, {dialect.Ordinal("k.id")}";
        _revokeBootstrapBefore = $"""
            UPDATE api_keys SET revoked_at = @at
            WHERE is_bootstrap = @bootstrap AND revoked_at IS NULL AND id <> @Id
              AND (created_at < @CreatedAt OR (created_at = @CreatedAt AND {dialect.Ordinal("id")} < {dialect.Ordinal("@Id")}))
            RETURNING id
            """;
    }

    public Task<bool> AnyAsync(CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(connection => connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM api_keys)", cancellationToken: cancellationToken)), cancellationToken);

    public Task InsertAsync(ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO api_keys (id, tenant, name, role, prefix, credential_patterns, agent_patterns, verify_as_patterns, rate_limit_per_minute,
                                      quota_per_day, created_at, expires_at, revoked_at, last_used_at, is_bootstrap, bootstrap_secret_hash, grants, subject)
                VALUES (@Id, @Tenant, @Name, @Role, @Prefix, @CredentialPatterns, @AgentPatterns, @VerifyAsPatterns, @RateLimitPerMinute,
                        @QuotaPerDay, @CreatedAt, @ExpiresAt, NULL, NULL, @IsBootstrap, @BootstrapSecretHash, @Grants, @Subject)
                """,
                new
                {
                    key.Id, key.Tenant, key.Name, Role = key.Role.ToWire(), key.Prefix,
                    CredentialPatterns = StoreJson.Write(key.CredentialPatterns), AgentPatterns = StoreJson.Write(key.AgentPatterns),
                    VerifyAsPatterns = StoreJson.Write(key.VerifyAsPatterns ?? []), Grants = StoreJson.WriteGrants(key.Grants),
                    RateLimitPerMinute = (long?)key.RateLimitPerMinute, QuotaPerDay = (long?)key.QuotaPerDay,
                    CreatedAt = UnixMs.From(key.CreatedAt), ExpiresAt = UnixMs.From(key.ExpiresAt), key.IsBootstrap,
                    BootstrapSecretHash = key.IsBootstrap ? secretHash : null, key.Subject,
                },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var stored = await InsertFirstSecretAsync(connection, transaction, key, secretHash, cancellationToken).ConfigureAwait(false);
            if (stored)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            }

            return stored;
        }, cancellationToken);
    }

    public Task<KeyHashMatch?> FindByHashAsync(byte[] secretHash, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
                "SELECT " + Columns + ", s.hash AS Hash, s.expires_at AS SecretExpiresAt FROM key_secrets s JOIN api_keys k ON k.id = s.key_id WHERE s.hash = @secretHash",
                new { secretHash }, cancellationToken: cancellationToken)).ConfigureAwait(false);

            // The index lookup found the row; compare the full hash in constant time all the same.
            if (row is null || row.Hash is null || !CryptographicOperations.FixedTimeEquals(row.Hash, secretHash))
            {
                return null;
            }

            return KeyRowReader.Read(row, _logger) is { } key ? new KeyHashMatch(key, UnixMs.To(row.SecretExpiresAt)) : null;
        }, cancellationToken);

    public Task<ApiKeyRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
                SelectKey + WhereKey, new { tenant, id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return KeyRowReader.Read(row, _logger);
        }, cancellationToken);

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<ApiKeyRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
                _list, new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return KeyRowReader.ReadAll(rows, _logger);
        }, cancellationToken);

    public Task<ApiKeyRecord?> RevokeAsync(string tenant, string id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var at = UnixMs.From(now);
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @at) WHERE tenant = @tenant AND id = @id",
                new { at, tenant, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (updated == 0)
            {
                return null;
            }

            await AddEventAsync(connection, transaction, id, at, cancellationToken).ConfigureAwait(false);
            return await ReadAndCommitAsync(connection, transaction, tenant, id, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task<ApiKeyRecord?> UpdateAsync(ApiKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE api_keys SET credential_patterns = @CredentialPatterns, agent_patterns = @AgentPatterns, verify_as_patterns = @VerifyAsPatterns,
                                    grants = @Grants, rate_limit_per_minute = @RateLimitPerMinute, quota_per_day = @QuotaPerDay, expires_at = @ExpiresAt
                WHERE tenant = @tenant AND id = @id
                """,
                new
                {
                    CredentialPatterns = StoreJson.Write(key.CredentialPatterns), AgentPatterns = StoreJson.Write(key.AgentPatterns),
                    VerifyAsPatterns = StoreJson.Write(key.VerifyAsPatterns ?? []), Grants = StoreJson.WriteGrants(key.Grants),
                    RateLimitPerMinute = (long?)key.RateLimitPerMinute, QuotaPerDay = (long?)key.QuotaPerDay, ExpiresAt = UnixMs.From(key.ExpiresAt),
                    tenant = key.Tenant, id = key.Id,
                },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (updated == 0)
            {
                return null;
            }

            // A narrowing must hold on every replica before the answer: the event drops the key from every cache.
            await AddEventAsync(connection, transaction, key.Id, UnixMs.From(now), cancellationToken).ConfigureAwait(false);
            return await ReadAndCommitAsync(connection, transaction, key.Tenant, key.Id, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task<ApiKeyRecord?> RotateAsync(string tenant, string id, byte[] newSecretHash, string newPrefix, DateTimeOffset now, DateTimeOffset? previousSecretsExpireAt, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var at = UnixMs.From(now);
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE api_keys SET prefix = @newPrefix, is_bootstrap = @bootstrap WHERE tenant = @tenant AND id = @id AND revoked_at IS NULL",
                new { newPrefix, bootstrap = false, tenant, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (updated == 0)
            {
                return null;
            }

            if (previousSecretsExpireAt is { } graceUntil)
            {
                // Earlier secrets keep at most until the new grace ends; one already ending sooner keeps its end.
                var until = UnixMs.From(graceUntil);
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE key_secrets SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > @until THEN @until ELSE expires_at END WHERE key_id = @id",
                    new { until, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM key_secrets WHERE key_id = @id AND expires_at <= @at", new { id, at }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            else
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM key_secrets WHERE key_id = @id", new { id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                InsertSecret, new { secretHash = newSecretHash, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await AddEventAsync(connection, transaction, id, at, cancellationToken).ConfigureAwait(false);
            return await ReadAndCommitAsync(connection, transaction, tenant, id, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task<ApiKeyRecord?> FindBootstrapAsync(byte[] secretHash, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            var row = await connection.QueryFirstOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
                _findBootstrap, new { secretHash }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return KeyRowReader.Read(row, _logger);
        }, cancellationToken);

    public Task<IReadOnlyList<string>> RevokeBootstrapKeysBeforeAsync(ApiKeyRecord keep, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return _dialect.RunAsync<IReadOnlyList<string>>(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var at = UnixMs.From(now);
            var ids = (await connection.QueryAsync<string>(new CommandDefinition(
                _revokeBootstrapBefore, new { at, bootstrap = true, keep.Id, CreatedAt = UnixMs.From(keep.CreatedAt) },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            foreach (var id in ids)
            {
                await AddEventAsync(connection, transaction, id, at, cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return ids;
        }, cancellationToken);
    }

    public Task TouchAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lastUsed);
        if (lastUsed.Count == 0)
        {
            return Task.CompletedTask;
        }

        return _dialect.RunAsync(connection => WriteLastUsedAsync(connection, lastUsed, cancellationToken), cancellationToken);
    }

    public Task<(IReadOnlyList<string> KeyIds, long Sequence)> GetKeyEventsAsync(long sinceSequence, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<(IReadOnlyList<string>, long)>(async connection =>
        {
            var rows = (await connection.QueryAsync<(long Seq, string KeyId)>(new CommandDefinition(
                "SELECT seq, key_id FROM key_events WHERE seq > @sinceSequence ORDER BY seq LIMIT 10000", new { sinceSequence }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            return (rows.Select(r => r.KeyId).Distinct().ToArray(), rows.Length == 0 ? sinceSequence : rows[^1].Seq);
        }, cancellationToken);

    /// <summary>
    /// Appends a revoke or rotation of <paramref name="keyId"/> to <c>key_events</c>, in the writing transaction; by
    /// default the database numbers it.
    /// </summary>
    protected virtual Task AddEventAsync(DbConnection connection, DbTransaction transaction, string keyId, long at, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO key_events (key_id, at) VALUES (@keyId, @at)", new { keyId, at }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Inserts a new key's secret (<see cref="InsertSecret"/>) in the inserting transaction; false when the key must
    /// not be stored after all, and the transaction is rolled back.
    /// </summary>
    protected virtual async Task<bool> InsertFirstSecretAsync(DbConnection connection, DbTransaction transaction, ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await connection.ExecuteAsync(new CommandDefinition(
            InsertSecret, new { secretHash, id = key.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Moves each key's <c>last_used_at</c> forward to its time (never back); by default one statement per key, in
    /// one transaction.
    /// </summary>
    /// <returns>How many keys were found.</returns>
    protected virtual async Task<int> WriteLastUsedAsync(DbConnection connection, IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET last_used_at = CASE WHEN COALESCE(last_used_at, 0) > @At THEN COALESCE(last_used_at, 0) ELSE @At END WHERE id = @Id",
            lastUsed.Select(p => new { Id = p.Key, At = UnixMs.From(p.Value) }).ToArray(), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return updated;
    }

    private async Task<ApiKeyRecord?> ReadAndCommitAsync(DbConnection connection, DbTransaction transaction, string tenant, string id, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleAsync<ApiKeyRow>(new CommandDefinition(
            SelectKey + WhereKey, new { tenant, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return KeyRowReader.Read(row, _logger);
    }
}
