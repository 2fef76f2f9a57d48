using Broker.Storage.Rows;
using Broker.Storage;
using Broker.Core;
using Broker.Keys;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Sqlite.Keys;

/// <summary><see cref="IKeyStore"/> on SQLite. A row with a role the broker does not know reads as no key (logged).</summary>
public sealed class SqliteKeyStore(SqliteDatabase database, ILogger<SqliteKeyStore>? logger = null) : IKeyStore
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    private const string SelectKey = """
        SELECT k.id AS Id, k.tenant AS Tenant, k.name AS Name, k.role AS Role, k.prefix AS Prefix,
               k.credential_patterns AS CredentialPatterns, k.agent_patterns AS AgentPatterns, k.verify_as_patterns AS VerifyAsPatterns,
               k.rate_limit_per_minute AS RateLimitPerMinute, k.quota_per_day AS QuotaPerDay,
               k.created_at AS CreatedAt, k.expires_at AS ExpiresAt, k.revoked_at AS RevokedAt,
               k.last_used_at AS LastUsedAt, k.is_bootstrap AS IsBootstrap
        FROM api_keys k
        """;

    public async Task<bool> AnyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM api_keys)", cancellationToken: cancellationToken)).ConfigureAwait(false) != 0;
    }

    public async Task InsertAsync(ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO api_keys (id, tenant, name, role, prefix, credential_patterns, agent_patterns, verify_as_patterns, rate_limit_per_minute,
                                  quota_per_day, created_at, expires_at, revoked_at, last_used_at, is_bootstrap, bootstrap_secret_hash)
            VALUES (@Id, @Tenant, @Name, @Role, @Prefix, @CredentialPatterns, @AgentPatterns, @VerifyAsPatterns, @RateLimitPerMinute,
                    @QuotaPerDay, @CreatedAt, @ExpiresAt, NULL, NULL, @IsBootstrap, @BootstrapSecretHash)
            """,
            new
            {
                key.Id, key.Tenant, key.Name, Role = key.Role.ToWire(), key.Prefix,
                CredentialPatterns = StoreJson.Write(key.CredentialPatterns), AgentPatterns = StoreJson.Write(key.AgentPatterns),
                VerifyAsPatterns = StoreJson.Write(key.VerifyAsPatterns ?? []),
                key.RateLimitPerMinute, key.QuotaPerDay, CreatedAt = UnixMs.From(key.CreatedAt), ExpiresAt = UnixMs.From(key.ExpiresAt),
                IsBootstrap = key.IsBootstrap ? 1 : 0, BootstrapSecretHash = key.IsBootstrap ? secretHash : null,
            },
            transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO key_secrets (hash, key_id, expires_at) VALUES (@secretHash, @Id, NULL)",
            new { secretHash, key.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<KeyHashMatch?> FindByHashAsync(byte[] secretHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
            SelectKey.Replace("FROM api_keys k", ", s.hash AS Hash, s.expires_at AS SecretExpiresAt FROM key_secrets s JOIN api_keys k ON k.id = s.key_id", StringComparison.Ordinal)
                + " WHERE s.hash = @secretHash",
            new { secretHash }, cancellationToken: cancellationToken)).ConfigureAwait(false);

        // The index lookup found the row; compare the full hash in constant time all the same.
        if (row is null || row.Hash is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(row.Hash, secretHash))
        {
            return null;
        }

        return KeyRowReader.Read(row, _logger) is { } key ? new KeyHashMatch(key, UnixMs.To(row.SecretExpiresAt)) : null;
    }

    public async Task<ApiKeyRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
            SelectKey + " WHERE k.tenant = @tenant AND k.id = @id", new { tenant, id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return KeyRowReader.Read(row, _logger);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
            SelectKey + " WHERE k.tenant = @tenant ORDER BY k.created_at, k.id", new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return KeyRowReader.ReadAll(rows, _logger);
    }

    public async Task<ApiKeyRecord?> RevokeAsync(string tenant, string id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var at = UnixMs.From(now);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @at) WHERE tenant = @tenant AND id = @id",
            new { at, tenant, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (updated == 0)
        {
            return null;
        }

        await AddEventAsync(connection, transaction, id, at, cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleAsync<ApiKeyRow>(new CommandDefinition(
            SelectKey + " WHERE k.tenant = @tenant AND k.id = @id", new { tenant, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return KeyRowReader.Read(row, _logger);
    }

    public async Task<ApiKeyRecord?> RotateAsync(string tenant, string id, byte[] newSecretHash, string newPrefix, DateTimeOffset now, DateTimeOffset? previousSecretsExpireAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var at = UnixMs.From(now);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET prefix = @newPrefix, is_bootstrap = 0 WHERE tenant = @tenant AND id = @id AND revoked_at IS NULL",
            new { newPrefix, tenant, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
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
            "INSERT INTO key_secrets (hash, key_id, expires_at) VALUES (@newSecretHash, @id, NULL)",
            new { newSecretHash, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await AddEventAsync(connection, transaction, id, at, cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleAsync<ApiKeyRow>(new CommandDefinition(
            SelectKey + " WHERE k.tenant = @tenant AND k.id = @id", new { tenant, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return KeyRowReader.Read(row, _logger);
    }

    public async Task<ApiKeyRecord?> FindBootstrapAsync(byte[] secretHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QueryFirstOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
            SelectKey + " WHERE k.bootstrap_secret_hash = @secretHash ORDER BY k.created_at, k.id", new { secretHash }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return KeyRowReader.Read(row, _logger);
    }

    public async Task<IReadOnlyList<string>> RevokeBootstrapKeysBeforeAsync(ApiKeyRecord keep, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keep);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var at = UnixMs.From(now);
        var ids = (await connection.QueryAsync<string>(new CommandDefinition(
            """
            SELECT id FROM api_keys
            WHERE is_bootstrap = 1 AND revoked_at IS NULL AND id <> @Id AND (created_at < @CreatedAt OR (created_at = @CreatedAt AND id < @Id))
            """,
            new { keep.Id, CreatedAt = UnixMs.From(keep.CreatedAt) }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
        foreach (var id in ids)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL", new { at, id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await AddEventAsync(connection, transaction, id, at, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ids;
    }

    public async Task TouchAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken = default)
    {
        if (lastUsed.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, 0), @At) WHERE id = @Id",
            lastUsed.Select(p => new { Id = p.Key, At = UnixMs.From(p.Value) }).ToArray(), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<(IReadOnlyList<string> KeyIds, long Sequence)> GetKeyEventsAsync(long sinceSequence, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = (await connection.QueryAsync<(long Seq, string KeyId)>(new CommandDefinition(
            "SELECT seq, key_id FROM key_events WHERE seq > @sinceSequence ORDER BY seq", new { sinceSequence }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
        return (rows.Select(r => r.KeyId).Distinct().ToArray(), rows.Length == 0 ? sinceSequence : rows[^1].Seq);
    }

    private static Task AddEventAsync(SqliteConnection connection, SqliteTransaction transaction, string keyId, long at, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO key_events (key_id, at) VALUES (@keyId, @at)", new { keyId, at }, transaction, cancellationToken: cancellationToken));
}
