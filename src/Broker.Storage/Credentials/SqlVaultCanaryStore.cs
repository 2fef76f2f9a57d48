using Broker.Vault;
using Dapper;

namespace Broker.Storage.Credentials;

/// <summary><see cref="IVaultCanaryStore"/> written once for every SQL database: the one row of <c>vault_canary</c>.</summary>
public abstract class SqlVaultCanaryStore : IVaultCanaryStore
{
    private readonly StoreDialect _dialect;

    protected SqlVaultCanaryStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
    }

    public Task<SealedValue?> GetCanaryAsync(CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<(byte[] Ciphertext, byte[] WrappedKey, string KekId)?>(new CommandDefinition(
                "SELECT ciphertext, wrapped_key, kek_id FROM vault_canary WHERE id = 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row is { } r ? new SealedValue(r.Ciphertext, r.WrappedKey, r.KekId) : null;
        }, cancellationToken);

    /// <returns>The canary stored now, or the one that was there first.</returns>
    public async Task<SealedValue> SetCanaryIfAbsentAsync(SealedValue canary, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(canary);
        await _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO vault_canary (id, ciphertext, wrapped_key, kek_id) VALUES (1, @Ciphertext, @WrappedKey, @KekId) ON CONFLICT (id) DO NOTHING",
            new { canary.Ciphertext, canary.WrappedKey, canary.KekId }, cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false);
        return await GetCanaryAsync(cancellationToken).ConfigureAwait(false) ?? canary;
    }
}
