using Broker.Core;
using Broker.Minting.Signing;
using Broker.Storage.Rows;
using Broker.Vault;
using Dapper;

namespace Broker.Storage.SigningKeys;

/// <summary>
/// <see cref="ISigningKeyStore"/> written once for every SQL database: <c>signing_keys</c> (migration 0004). Holds the
/// private key only as the sealed value it is given; never decrypts. Retirement is a compare-and-set on
/// <c>retired_at IS NULL</c>, so concurrent retirements keep the first.
/// </summary>
public abstract class SqlSigningKeyStore : ISigningKeyStore, IRewrappableStore
{
    private readonly StoreDialect _dialect;
    private readonly string _list;

    protected SqlSigningKeyStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
        _list = $"""
            SELECT kid AS Kid, created_at AS CreatedAt, retired_at AS RetiredAt, expires_at AS ExpiresAt, public_jwk AS PublicJwk,
                   ciphertext AS Ciphertext, wrapped_key AS WrappedKey, kek_id AS KekId, revoked_at AS RevokedAt
            FROM signing_keys
            ORDER BY created_at, {dialect.Ordinal("kid")}
            """;
    }

    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            await _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
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
        catch (Exception ex) when (_dialect.IsUniqueViolation(ex))
        {
            throw new BrokerOperationException(BrokerErrorKind.Conflict, "A signing key with this kid already exists.", ex);
        }
    }

    public Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<SigningKeyRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<SigningKeyRow>(new CommandDefinition(_list, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToRecord()).ToArray();
        }, cancellationToken);

    public async Task<bool> TryRetireAsync(string kid, DateTimeOffset retiredAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        await _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE signing_keys SET retired_at = @retiredAt, expires_at = @expiresAt WHERE kid = @kid AND retired_at IS NULL",
            new { kid, retiredAt = UnixMs.From(retiredAt), expiresAt = UnixMs.From(expiresAt) },
            cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false) == 1;

    /// <summary>
    /// Revokes a compromised key at once: retired now (unless already), its private key erased, the first revocation
    /// time kept. <see cref="OnRevokedAsync"/> runs in the same transaction (PostgreSQL notifies the other replicas).
    /// </summary>
    public Task<bool> RevokeAsync(string kid, DateTimeOffset revokedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE signing_keys
                SET revoked_at = COALESCE(revoked_at, @revokedAt), retired_at = COALESCE(retired_at, @revokedAt),
                    expires_at = COALESCE(expires_at, @expiresAt), ciphertext = @erased
                WHERE kid = @kid
                """,
                new { kid, revokedAt = UnixMs.From(revokedAt), expiresAt = UnixMs.From(expiresAt), erased = Array.Empty<byte>() },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (changed == 1)
            {
                await OnRevokedAsync(connection, transaction, kid, cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return changed == 1;
        }, cancellationToken);

    /// <summary>Runs inside a revocation's transaction after the row changed; nothing by default.</summary>
    protected virtual Task OnRevokedAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string kid, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    public Task<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at <= @before",
            new { before = UnixMs.From(before) },
            cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>
    /// Re-wraps every signing key's data key (a key-encryption-key change) in one transaction, leaving ciphertexts
    /// untouched; same loop as the credential store's, so a re-wrap covers both.
    /// </summary>
    /// <returns>How many keys were re-wrapped.</returns>
    public Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rewrap);
        return _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var count = await WrappedKeys.RewrapAsync(
                _dialect, connection, transaction,
                "SELECT kid, wrapped_key, kek_id FROM signing_keys",
                "UPDATE signing_keys SET wrapped_key = @wrapped_key, kek_id = @kek_id WHERE kid = @kid",
                rewrap, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return count;
        }, cancellationToken);
    }
}
