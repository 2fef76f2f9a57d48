using Broker.Storage.Rows;
using Broker.Storage;
using Broker.Core;
using Broker.Minting.Signing;
using Broker.Vault;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Sqlite.SigningKeys;

/// <summary>
/// Signing keys in <c>signing_keys</c> (migration 0004). Holds the private key only as the sealed value it is given;
/// never decrypts. Retirement is a compare-and-set on <c>retired_at IS NULL</c>, so concurrent retirements keep the first.
/// </summary>
public sealed class SqliteSigningKeyStore(SqliteDatabase database) : ISigningKeyStore, Broker.Vault.IRewrappableStore
{
    private const int SqliteConstraint = 19;

    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
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
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw new BrokerException(BrokerErrorKind.Conflict, "A signing key with this kid already exists.", ex);
        }
    }

    public async Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<SigningKeyRow>(new CommandDefinition(
            """
            SELECT kid AS Kid, created_at AS CreatedAt, retired_at AS RetiredAt, expires_at AS ExpiresAt, public_jwk AS PublicJwk,
                   ciphertext AS Ciphertext, wrapped_key AS WrappedKey, kek_id AS KekId, revoked_at AS RevokedAt
            FROM signing_keys
            ORDER BY created_at, kid
            """,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToArray();
    }

    public async Task<bool> TryRetireAsync(string kid, DateTimeOffset retiredAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE signing_keys SET retired_at = @retiredAt, expires_at = @expiresAt WHERE kid = @kid AND retired_at IS NULL",
            new { kid, retiredAt = UnixMs.From(retiredAt), expiresAt = UnixMs.From(expiresAt) },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return changed == 1;
    }

    public async Task<bool> RevokeAsync(string kid, DateTimeOffset revokedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE signing_keys
            SET revoked_at = COALESCE(revoked_at, @revokedAt), retired_at = COALESCE(retired_at, @revokedAt),
                expires_at = COALESCE(expires_at, @expiresAt), ciphertext = X''
            WHERE kid = @kid
            """,
            new { kid, revokedAt = UnixMs.From(revokedAt), expiresAt = UnixMs.From(expiresAt) },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return changed == 1;
    }

    public async Task<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at <= @before",
            new { before = UnixMs.From(before) },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Re-wraps every signing key's data key (a key-encryption-key change), in one transaction, leaving ciphertexts
    /// untouched; same shape as the credential store's, so a re-wrap covers both.
    /// </summary>
    /// <returns>How many keys were re-wrapped.</returns>
    public async Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rewrap);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var rows = (await connection.QueryAsync<(string Kid, byte[] WrappedKey, string KekId)>(new CommandDefinition(
            "SELECT kid, wrapped_key, kek_id FROM signing_keys", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
        foreach (var row in rows)
        {
            var (wrapped, kekId) = rewrap(row.WrappedKey, row.KekId);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE signing_keys SET wrapped_key = @wrapped, kek_id = @kekId WHERE kid = @Kid",
                new { wrapped, kekId, row.Kid }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return rows.Length;
    }
}
