using Broker.Storage.Rows;
using Broker.Storage;
using Broker.Credentials;
using Broker.Vault;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Sqlite.Credentials;

public sealed class SqliteCredentialStore(SqliteDatabase database) : ICredentialStore
{
    private const string SelectCurrent = """
        SELECT c.tenant AS Tenant, c.name AS Name, c.subject AS Subject, c.kind AS Kind, c.labels AS Labels,
               c.current_version AS Version, c.created_at AS CreatedAt, c.updated_at AS UpdatedAt,
               v.ciphertext AS Ciphertext, v.wrapped_key AS WrappedKey, v.kek_id AS KekId
        FROM credentials c
        JOIN credential_versions v ON v.tenant = c.tenant AND v.name = c.name AND v.subject = c.subject AND v.version = c.current_version
        """;

    /// <summary>The hot read (every agent read): a plain bound command, no Dapper mapping (several times cheaper per LIMITS.md).</summary>
    public async Task<CredentialRecord?> GetAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SelectCurrent + " WHERE c.tenant = $tenant AND c.name = $name AND c.subject = $subject";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$subject", subject);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new CredentialRecord(
            reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), StoreJson.ReadLabels(reader.GetString(4)),
            reader.GetInt32(5), UnixMs.To(reader.GetInt64(6)), UnixMs.To(reader.GetInt64(7)),
            new SealedValue((byte[])reader.GetValue(8), (byte[])reader.GetValue(9), reader.GetString(10)));
    }

    public async Task<IReadOnlyList<CredentialSummary>> ListAsync(string tenant, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<CredentialSummaryRow>(new CommandDefinition(
            """
            SELECT name AS Name, subject AS Subject, kind AS Kind, labels AS Labels, current_version AS Version,
                   created_at AS CreatedAt, updated_at AS UpdatedAt
            FROM credentials WHERE tenant = @tenant ORDER BY name, subject
            """,
            new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToSummary()).ToArray();
    }

    public async Task<IReadOnlyList<CredentialVersionInfo>> ListVersionsAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(long Version, long CreatedAt)>(new CommandDefinition(
            "SELECT version, created_at FROM credential_versions WHERE tenant = @tenant AND name = @name AND subject = @subject ORDER BY version",
            new { tenant, name, subject }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new CredentialVersionInfo((int)r.Version, UnixMs.To(r.CreatedAt))).ToArray();
    }

    public async Task<CredentialWriteResult> WriteAsync(CredentialWrite write, ICredentialValueSealer sealer, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var current = (await connection.QuerySingleOrDefaultAsync<CredentialRow>(new CommandDefinition(
            SelectCurrent + " WHERE c.tenant = @Tenant AND c.name = @Name AND c.subject = @Subject",
            new { write.Tenant, write.Name, write.Subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false))?.ToRecord();

        var plan = CredentialWritePlan.Decide(write, current, sealer, StoreJson.Write);
        var now = UnixMs.From(write.Now);
        var kind = plan.Kind;
        var labels = StoreJson.Write(plan.Labels);
        if (plan.Outcome == CredentialWriteOutcome.PreconditionFailed)
        {
            return plan.Result;
        }

        if (plan.Outcome == CredentialWriteOutcome.Unchanged)
        {
            if (plan.MetadataChanged)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE credentials SET kind = @kind, labels = @labels, updated_at = @now WHERE tenant = @Tenant AND name = @Name AND subject = @Subject",
                    new { kind, labels, now, write.Tenant, write.Name, write.Subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return plan.Result;
        }

        var version = plan.Version;
        var sealedValue = plan.Value!;
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO credential_versions (tenant, name, subject, version, ciphertext, wrapped_key, kek_id, created_at)
            VALUES (@Tenant, @Name, @Subject, @version, @Ciphertext, @WrappedKey, @KekId, @now)
            """,
            new { write.Tenant, write.Name, write.Subject, version, sealedValue.Ciphertext, sealedValue.WrappedKey, sealedValue.KekId, now },
            transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO credentials (tenant, name, subject, kind, labels, current_version, created_at, updated_at)
            VALUES (@Tenant, @Name, @Subject, @kind, @labels, @version, @now, @now)
            ON CONFLICT (tenant, name, subject) DO UPDATE SET kind = excluded.kind, labels = excluded.labels,
                current_version = excluded.current_version, updated_at = excluded.updated_at
            """,
            new { write.Tenant, write.Name, write.Subject, kind, labels, version, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (write.Subject.Length == 0)
        {
            await RecordChangeAsync(connection, transaction, write.Tenant, write.Name, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return plan.Result;
    }

    public async Task<bool> DeleteAsync(string tenant, string name, string? subject, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var filter = subject is null ? "tenant = @tenant AND name = @name" : "tenant = @tenant AND name = @name AND subject = @subject";
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM credentials WHERE " + filter, new { tenant, name, subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

        // secure_delete overwrites the freed pages: the wrapped data keys and ciphertexts are destroyed, not just unlinked.
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM credential_versions WHERE " + filter, new { tenant, name, subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (deleted > 0 && subject is null or "")
        {
            await RecordChangeAsync(connection, transaction, tenant, name, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            // The WAL still holds the pre-delete pages until a checkpoint: fold it into the (secure_delete) file and
            // truncate it, so the destroyed wrapped keys leave the disk now. Best effort: busy readers may defer it.
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return deleted > 0;
    }

    public async Task<long> GetCursorAsync(string tenant, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT seq FROM tenant_cursors WHERE tenant = @tenant", new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
    }

    public async Task<CredentialChanges> GetChangesAsync(string tenant, long? since, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);

        // One read transaction: the cursor and the rows are one snapshot (WAL readers see a consistent state).
        await using var transaction = connection.BeginTransaction(deferred: true);
        var cursor = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT seq FROM tenant_cursors WHERE tenant = @tenant", new { tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
        if (since is null)
        {
            var all = await connection.QueryAsync<CredentialRow>(new CommandDefinition(
                SelectCurrent + " WHERE c.tenant = @tenant AND c.subject = '' ORDER BY c.name", new { tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return new CredentialChanges(cursor, all.Select(r => r.ToRecord()).ToArray(), []);
        }

        if (since >= cursor)
        {
            return new CredentialChanges(cursor, [], []);
        }

        var names = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT name FROM credential_changes WHERE tenant = @tenant AND seq > @since ORDER BY name",
            new { tenant, since }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
        var changed = (await connection.QueryAsync<CredentialRow>(new CommandDefinition(
            SelectCurrent + " WHERE c.tenant = @tenant AND c.subject = '' AND c.name IN (SELECT DISTINCT name FROM credential_changes WHERE tenant = @tenant AND seq > @since) ORDER BY c.name",
            new { tenant, since }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).Select(r => r.ToRecord()).ToArray();
        var present = changed.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return new CredentialChanges(cursor, changed, names.Where(n => !present.Contains(n)).ToArray());
    }

    public async Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var rows = (await connection.QueryAsync<(string Tenant, string Name, string Subject, long Version, byte[] WrappedKey, string KekId)>(new CommandDefinition(
            "SELECT tenant, name, subject, version, wrapped_key, kek_id FROM credential_versions", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
        foreach (var row in rows)
        {
            var (wrapped, kekId) = rewrap(row.WrappedKey, row.KekId);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE credential_versions SET wrapped_key = @wrapped, kek_id = @kekId WHERE tenant = @Tenant AND name = @Name AND subject = @Subject AND version = @Version",
                new { wrapped, kekId, row.Tenant, row.Name, row.Subject, row.Version }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        var canary = await connection.QuerySingleOrDefaultAsync<(byte[] WrappedKey, string KekId)?>(new CommandDefinition(
            "SELECT wrapped_key, kek_id FROM vault_canary WHERE id = 1", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (canary is { } c)
        {
            var (wrapped, kekId) = rewrap(c.WrappedKey, c.KekId);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE vault_canary SET wrapped_key = @wrapped, kek_id = @kekId WHERE id = 1", new { wrapped, kekId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return rows.Length;
    }

    private static async Task RecordChangeAsync(SqliteConnection connection, SqliteTransaction transaction, string tenant, string name, CancellationToken cancellationToken)
    {
        var seq = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO tenant_cursors (tenant, seq) VALUES (@tenant, 1)
            ON CONFLICT (tenant) DO UPDATE SET seq = seq + 1
            RETURNING seq
            """,
            new { tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO credential_changes (tenant, seq, name) VALUES (@tenant, @seq, @name)",
            new { tenant, seq, name }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
