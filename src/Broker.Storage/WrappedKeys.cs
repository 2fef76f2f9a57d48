using System.Data.Common;
using Dapper;

namespace Broker.Storage;

/// <summary>The re-wrap loop every table holding wrapped data keys shares (a key-encryption-key change; ciphertexts untouched).</summary>
public static class WrappedKeys
{
    /// <summary>
    /// Passes the (wrapped_key, kek_id) of every row <paramref name="select"/> returns through <paramref name="rewrap"/>
    /// and stores the result with <paramref name="update"/>, inside <paramref name="transaction"/>. The select names
    /// the row's key columns and <c>wrapped_key, kek_id</c> (the dialect's row lock is appended to it); the update
    /// binds the same key columns by name and <c>@wrapped_key, @kek_id</c>.
    /// </summary>
    /// <returns>How many rows were re-wrapped.</returns>
    public static async Task<int> RewrapAsync(
        StoreDialect dialect,
        DbConnection connection,
        DbTransaction transaction,
        string select,
        string update,
        Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rewrap);
        var rows = (await connection.QueryAsync(new CommandDefinition(
            select + dialect.ForUpdate, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .Cast<IDictionary<string, object>>().ToArray();
        foreach (var row in rows)
        {
            var (wrapped, kekId) = rewrap((byte[])row["wrapped_key"], (string)row["kek_id"]);

            // The row's own columns bind its key; the two re-wrapped ones replace theirs.
            var parameters = new DynamicParameters(row);
            parameters.Add("wrapped_key", wrapped);
            parameters.Add("kek_id", kekId);
            await connection.ExecuteAsync(new CommandDefinition(update, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return rows.Length;
    }
}
