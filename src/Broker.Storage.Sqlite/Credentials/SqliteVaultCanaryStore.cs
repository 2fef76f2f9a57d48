using Broker.Vault;
using Dapper;

namespace Broker.Storage.Sqlite.Credentials;

public sealed class SqliteVaultCanaryStore(SqliteDatabase database) : IVaultCanaryStore
{
    public async Task<SealedValue?> GetCanaryAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<(byte[] Ciphertext, byte[] WrappedKey, string KekId)?>(new CommandDefinition(
            "SELECT ciphertext, wrapped_key, kek_id FROM vault_canary WHERE id = 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is { } r ? new SealedValue(r.Ciphertext, r.WrappedKey, r.KekId) : null;
    }

    public async Task<SealedValue> SetCanaryIfAbsentAsync(SealedValue canary, CancellationToken cancellationToken = default)
    {
        await using (var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO vault_canary (id, ciphertext, wrapped_key, kek_id) VALUES (1, @Ciphertext, @WrappedKey, @KekId) ON CONFLICT (id) DO NOTHING",
                canary, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return await GetCanaryAsync(cancellationToken).ConfigureAwait(false) ?? canary;
    }
}
