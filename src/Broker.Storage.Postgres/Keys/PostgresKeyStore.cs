using Broker.Storage.Rows;
using Broker.Storage;
using Broker.Core;
using Broker.Keys;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Broker.Storage.Postgres.Keys;

/// <summary>
/// <see cref="IKeyStore"/> on PostgreSQL. A revoke or rotation appends to <c>key_events</c> with a number from the
/// single counter row (commit order) and NOTIFYs <see cref="PostgresChannels.KeyEvents"/> in the same transaction.
/// A row with a role the broker does not know reads as no key (logged).
/// </summary>
public sealed class PostgresKeyStore(PostgresDatabase database, ILogger<PostgresKeyStore>? logger = null) : IKeyStore
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    private const string Columns = """
        k.id AS Id, k.tenant AS Tenant, k.name AS Name, k.role AS Role, k.prefix AS Prefix,
        k.credential_patterns AS CredentialPatterns, k.agent_patterns AS AgentPatterns, k.verify_as_patterns AS VerifyAsPatterns,
        k.rate_limit_per_minute AS RateLimitPerMinute, k.quota_per_day AS QuotaPerDay,
        k.created_at AS CreatedAt, k.expires_at AS ExpiresAt, k.revoked_at AS RevokedAt,
        k.last_used_at AS LastUsedAt, k.is_bootstrap AS IsBootstrap
        """;

    private const string SelectKey = "SELECT " + Columns + " FROM api_keys k";

    public Task<bool> AnyAsync(CancellationToken cancellationToken = default) =>
        database.RunAsync(connection => connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM api_keys)", cancellationToken: cancellationToken)), cancellationToken);

    public Task InsertAsync(ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            ArgumentNullException.ThrowIfNull(key);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
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
                    RateLimitPerMinute = (long?)key.RateLimitPerMinute, QuotaPerDay = (long?)key.QuotaPerDay,
                    CreatedAt = UnixMs.From(key.CreatedAt), ExpiresAt = UnixMs.From(key.ExpiresAt), key.IsBootstrap,
                    BootstrapSecretHash = key.IsBootstrap ? secretHash : null,
                },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO key_secrets (hash, key_id, expires_at) VALUES (@secretHash, @Id, NULL) ON CONFLICT (hash) DO NOTHING",
                new { secretHash, key.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (inserted == 0)
            {
                // Two replicas starting together with the same configured bootstrap key: the other one registered it.
                if (key.IsBootstrap)
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                throw new BrokerOperationException(BrokerErrorKind.Conflict, "A key with this secret already exists.");
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task<KeyHashMatch?> FindByHashAsync(byte[] secretHash, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
                "SELECT " + Columns + ", s.hash AS Hash, s.expires_at AS SecretExpiresAt FROM key_secrets s JOIN api_keys k ON k.id = s.key_id WHERE s.hash = @secretHash",
                new { secretHash }, cancellationToken: cancellationToken)).ConfigureAwait(false);

            // The index lookup found the row; compare the full hash in constant time all the same.
            if (row is null || row.Hash is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(row.Hash, secretHash))
            {
                return null;
            }

            return KeyRowReader.Read(row, _logger) is { } key ? new KeyHashMatch(key, UnixMs.To(row.SecretExpiresAt)) : null;
        }, cancellationToken);

    public Task<ApiKeyRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
                SelectKey + " WHERE k.tenant = @tenant AND k.id = @id", new { tenant, id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return KeyRowReader.Read(row, _logger);
        }, cancellationToken);

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, CancellationToken cancellationToken = default) =>
        database.RunAsync<IReadOnlyList<ApiKeyRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
                SelectKey + " WHERE k.tenant = @tenant ORDER BY k.created_at, k.id COLLATE \"C\"", new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return KeyRowReader.ReadAll(rows, _logger);
        }, cancellationToken);

    public Task<ApiKeyRecord?> RevokeAsync(string tenant, string id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
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
        }, cancellationToken);

    public Task<ApiKeyRecord?> RotateAsync(string tenant, string id, byte[] newSecretHash, string newPrefix, DateTimeOffset now, DateTimeOffset? previousSecretsExpireAt, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var at = UnixMs.From(now);
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE api_keys SET prefix = @newPrefix, is_bootstrap = false WHERE tenant = @tenant AND id = @id AND revoked_at IS NULL",
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
        }, cancellationToken);

    public Task<ApiKeyRecord?> FindBootstrapAsync(byte[] secretHash, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            var row = await connection.QueryFirstOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
                SelectKey + " WHERE k.bootstrap_secret_hash = @secretHash ORDER BY k.created_at, k.id COLLATE \"C\"", new { secretHash }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return KeyRowReader.Read(row, _logger);
        }, cancellationToken);

    public Task<IReadOnlyList<string>> RevokeBootstrapKeysBeforeAsync(ApiKeyRecord keep, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return database.RunAsync<IReadOnlyList<string>>(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var at = UnixMs.From(now);
            var ids = (await connection.QueryAsync<string>(new CommandDefinition(
                """
                UPDATE api_keys SET revoked_at = @at
                WHERE is_bootstrap AND revoked_at IS NULL AND id <> @Id
                  AND (created_at < @CreatedAt OR (created_at = @CreatedAt AND id COLLATE "C" < @Id COLLATE "C"))
                RETURNING id
                """,
                new { at, keep.Id, CreatedAt = UnixMs.From(keep.CreatedAt) }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
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

        var ids = lastUsed.Select(p => p.Key).ToArray();
        var ats = lastUsed.Select(p => UnixMs.From(p.Value)).ToArray();
        return database.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, 0), u.at)
            FROM unnest(@ids, @ats) AS u(id, at) WHERE k.id = u.id
            """,
            new { ids, ats }, cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task<(IReadOnlyList<string> KeyIds, long Sequence)> GetKeyEventsAsync(long sinceSequence, CancellationToken cancellationToken = default) =>
        database.RunAsync<(IReadOnlyList<string>, long)>(async connection =>
        {
            var rows = (await connection.QueryAsync<(long Seq, string KeyId)>(new CommandDefinition(
                "SELECT seq, key_id FROM key_events WHERE seq > @sinceSequence ORDER BY seq LIMIT 10000", new { sinceSequence }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            return (rows.Select(r => r.KeyId).Distinct().ToArray(), rows.Length == 0 ? sinceSequence : rows[^1].Seq);
        }, cancellationToken);

    private static async Task AddEventAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string keyId, long at, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            """
            WITH next AS (UPDATE key_event_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq)
            INSERT INTO key_events (seq, key_id, at) SELECT seq, @keyId, @at FROM next;
            SELECT pg_notify(@channel, @keyId);
            """,
            new { keyId, at, channel = PostgresChannels.KeyEvents }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
}
