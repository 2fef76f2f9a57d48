using Broker.Storage.Rows;
using Broker.Storage;
using Broker.Core;
using Broker.Minting.Signing;
using Broker.Vault;
using Dapper;
using Npgsql;

namespace Broker.Storage.Postgres.SigningKeys;

/// <summary>
/// Signing keys in <c>signing_keys</c> (migration 0004), shared by every replica (one JWKS). Holds the private key
/// only sealed; never decrypts. Retirement is a compare-and-set on <c>retired_at IS NULL</c>.
/// </summary>
public sealed class PostgresSigningKeyStore(PostgresDatabase database) : ISigningKeyStore, IRewrappableStore
{
    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            await database.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO signing_keys (kid, created_at, retired_at, expires_at, public_jwk, ciphertext, wrapped_key, kek_id)
                VALUES (@Kid, @CreatedAt, @RetiredAt, @ExpiresAt, @PublicJwk, @Ciphertext, @WrappedKey, @KekId)
                """,
                new
                {
                    key.Kid,
                    CreatedAt = UnixMs.From(key.CreatedAt),
                    RetiredAt = UnixMs.From(key.RetiredAt),
                    ExpiresAt = UnixMs.From(key.ExpiresAt),
                    key.PublicJwk,
                    key.SealedPrivateKey.Ciphertext,
                    key.SealedPrivateKey.WrappedKey,
                    key.SealedPrivateKey.KekId,
                },
                cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new BrokerException(BrokerErrorKind.Conflict, "A signing key with this kid already exists.", ex);
        }
    }

    public Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        database.RunAsync<IReadOnlyList<SigningKeyRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<SigningKeyRow>(new CommandDefinition(
                """
                SELECT kid AS Kid, created_at AS CreatedAt, retired_at AS RetiredAt, expires_at AS ExpiresAt, public_jwk AS PublicJwk,
                       ciphertext AS Ciphertext, wrapped_key AS WrappedKey, kek_id AS KekId, revoked_at AS RevokedAt
                FROM signing_keys
                ORDER BY created_at, kid COLLATE "C"
                """,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToRecord()).ToArray();
        }, cancellationToken);

    public async Task<bool> TryRetireAsync(string kid, DateTimeOffset retiredAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        await database.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE signing_keys SET retired_at = @retiredAt, expires_at = @expiresAt WHERE kid = @kid AND retired_at IS NULL",
            new { kid, retiredAt = UnixMs.From(retiredAt), expiresAt = UnixMs.From(expiresAt) },
            cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false) == 1;

    /// <summary>Revokes in one transaction with a NOTIFY on <see cref="PostgresChannels.SigningKeys"/>, so the other replicas reload their view at commit.</summary>
    public Task<bool> RevokeAsync(string kid, DateTimeOffset revokedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE signing_keys
                SET revoked_at = COALESCE(revoked_at, @revokedAt), retired_at = COALESCE(retired_at, @revokedAt),
                    expires_at = COALESCE(expires_at, @expiresAt), ciphertext = ''::bytea
                WHERE kid = @kid
                """,
                new { kid, revokedAt = UnixMs.From(revokedAt), expiresAt = UnixMs.From(expiresAt) },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (changed == 1)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "SELECT pg_notify(@channel, @kid)", new { channel = PostgresChannels.SigningKeys, kid }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return changed == 1;
        }, cancellationToken);

    public Task<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        database.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at <= @before",
            new { before = UnixMs.From(before) },
            cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>Re-wraps every signing key's data key in one transaction, leaving ciphertexts untouched.</summary>
    public Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            ArgumentNullException.ThrowIfNull(rewrap);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var rows = (await connection.QueryAsync<(string Kid, byte[] WrappedKey, string KekId)>(new CommandDefinition(
                "SELECT kid, wrapped_key, kek_id FROM signing_keys FOR UPDATE", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            foreach (var row in rows)
            {
                var (wrapped, kekId) = rewrap(row.WrappedKey, row.KekId);
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE signing_keys SET wrapped_key = @wrapped, kek_id = @kekId WHERE kid = @Kid",
                    new { wrapped, kekId, row.Kid }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return rows.Length;
        }, cancellationToken);
}
