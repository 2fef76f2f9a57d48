using Broker.Audit;
using Broker.Core;
using Broker.Storage.Rows;
using Broker.Vault;
using Dapper;

namespace Broker.Storage.Audit;

/// <summary>
/// The audit keys, the audit's sealed secret keys and the stored checkpoints (tables <c>audit_keys</c> and
/// <c>audit_checkpoints</c>, migrations sqlite 0008 and postgres 0009; <c>audit_sealed_keys</c>, migrations 0014), written
/// once for every SQL database. Holds every key only sealed and never decrypts; re-wraps their data keys on a
/// key-encryption-key change like the other stores of wrapped keys.
/// </summary>
public abstract class SqlAuditProofStore : IAuditKeyStore, IAuditSealedKeyStore, IAuditCheckpointStore, IRewrappableStore
{
    private readonly StoreDialect _dialect;

    protected SqlAuditProofStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
    }

    public async Task AddKeyAsync(AuditKeyRecord key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            await _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO audit_keys (kid, created_at, public_jwk, ciphertext, wrapped_key, kek_id)
                VALUES (@Kid, @CreatedAt, @PublicJwk, @Ciphertext, @WrappedKey, @KekId)
                """,
                new
                {
                    key.Kid,
                    CreatedAt = UnixMs.From(key.CreatedAt),
                    key.PublicJwk,
                    key.SealedPrivateKey.Ciphertext,
                    key.SealedPrivateKey.WrappedKey,
                    key.SealedPrivateKey.KekId,
                },
                cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (_dialect.IsUniqueViolation(ex))
        {
            throw new BrokerOperationException(BrokerErrorKind.Conflict, "An audit key with this kid already exists.", ex);
        }
    }

    public Task<IReadOnlyList<AuditKeyRecord>> ListKeysAsync(CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<AuditKeyRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<AuditKeyRow>(new CommandDefinition(
                $"""
                SELECT kid AS Kid, created_at AS CreatedAt, public_jwk AS PublicJwk, ciphertext AS Ciphertext, wrapped_key AS WrappedKey, kek_id AS KekId
                FROM audit_keys ORDER BY created_at, {_dialect.Ordinal("kid")}
                """,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToRecord()).ToArray();
        }, cancellationToken);

    public Task<SealedValue?> GetSealedKeyAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _dialect.RunAsync(async connection =>
        {
            var row = await connection.QueryFirstOrDefaultAsync<AuditSealedKeyRow>(new CommandDefinition(
                "SELECT ciphertext AS Ciphertext, wrapped_key AS WrappedKey, kek_id AS KekId FROM audit_sealed_keys WHERE name = @name",
                new { name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row?.ToSealedValue();
        }, cancellationToken);
    }

    public async Task<SealedValue> AddSealedKeyAsync(string name, SealedValue key, DateTimeOffset createdAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(key);
        await _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_sealed_keys (name, created_at, ciphertext, wrapped_key, kek_id)
            VALUES (@name, @CreatedAt, @Ciphertext, @WrappedKey, @KekId)
            ON CONFLICT (name) DO NOTHING
            """,
            new { name, CreatedAt = UnixMs.From(createdAt), key.Ciphertext, key.WrappedKey, key.KekId },
            cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false);
        return await GetSealedKeyAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new BrokerOperationException(BrokerErrorKind.Unavailable, $"The audit key '{name}' was stored but cannot be read back.");
    }

    public Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_checkpoints (tenant, id, hash, time, kid, signature) VALUES (@Tenant, @Id, @Hash, @Time, @Kid, @Signature)
            ON CONFLICT (tenant, id) DO NOTHING
            """,
            new { checkpoint.Tenant, checkpoint.Id, checkpoint.Hash, Time = AuditTime.ToText(checkpoint.Time), checkpoint.Kid, checkpoint.Signature },
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task<AuditCheckpoint?> GetLatestCheckpointAsync(string tenant, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            var row = await connection.QueryFirstOrDefaultAsync<AuditCheckpointRow>(new CommandDefinition(
                "SELECT tenant AS Tenant, id AS Id, hash AS Hash, time AS Time, kid AS Kid, signature AS Signature FROM audit_checkpoints WHERE tenant = @tenant ORDER BY id DESC LIMIT 1",
                new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row?.ToCheckpoint();
        }, cancellationToken);

    /// <summary>Re-wraps the data key of every audit key and sealed key in one transaction, ciphertexts untouched.</summary>
    /// <returns>How many keys were re-wrapped.</returns>
    public Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rewrap);
        return _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var count = await WrappedKeys.RewrapAsync(
                _dialect, connection, transaction,
                "SELECT kid, wrapped_key, kek_id FROM audit_keys",
                "UPDATE audit_keys SET wrapped_key = @wrapped_key, kek_id = @kek_id WHERE kid = @kid",
                rewrap, cancellationToken).ConfigureAwait(false);
            count += await WrappedKeys.RewrapAsync(
                _dialect, connection, transaction,
                "SELECT name, wrapped_key, kek_id FROM audit_sealed_keys",
                "UPDATE audit_sealed_keys SET wrapped_key = @wrapped_key, kek_id = @kek_id WHERE name = @name",
                rewrap, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return count;
        }, cancellationToken);
    }
}
