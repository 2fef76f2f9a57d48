using Broker.Storage.Rows;
using Broker.Storage;
using System.Text.Json;
using Broker.Credentials;
using Broker.Vault;
using Dapper;
using Npgsql;

namespace Broker.Storage.Postgres.Credentials;

/// <summary>
/// <see cref="ICredentialStore"/> on PostgreSQL. Writes of one value are serialised by a transaction-scoped advisory
/// lock on (tenant, name, subject); the change feed's cursor is the tenant's row in <c>tenant_cursors</c>, updated
/// in the writing transaction, whose commit also delivers a NOTIFY to every replica.
/// </summary>
public sealed class PostgresCredentialStore(PostgresDatabase database) : ICredentialStore
{
    private const string SelectCurrent = """
        SELECT c.tenant AS Tenant, c.name AS Name, c.subject AS Subject, c.kind AS Kind, c.labels AS Labels,
               c.current_version AS Version, c.created_at AS CreatedAt, c.updated_at AS UpdatedAt,
               v.ciphertext AS Ciphertext, v.wrapped_key AS WrappedKey, v.kek_id AS KekId
        FROM credentials c
        JOIN credential_versions v ON v.tenant = c.tenant AND v.name = c.name AND v.subject = c.subject AND v.version = c.current_version
        """;

    public Task<CredentialRecord?> GetAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<CredentialRow>(new CommandDefinition(
                SelectCurrent + " WHERE c.tenant = @tenant AND c.name = @name AND c.subject = @subject",
                new { tenant, name, subject }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row?.ToRecord();
        }, cancellationToken);

    public Task<IReadOnlyList<CredentialSummary>> ListAsync(string tenant, CancellationToken cancellationToken = default) =>
        database.RunAsync<IReadOnlyList<CredentialSummary>>(async connection =>
        {
            var rows = await connection.QueryAsync<CredentialSummaryRow>(new CommandDefinition(
                """
                SELECT name AS Name, subject AS Subject, kind AS Kind, labels AS Labels, current_version AS Version,
                       created_at AS CreatedAt, updated_at AS UpdatedAt
                FROM credentials WHERE tenant = @tenant ORDER BY name COLLATE "C", subject COLLATE "C"
                """,
                new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToSummary()).ToArray();
        }, cancellationToken);

    public Task<IReadOnlyList<CredentialVersionInfo>> ListVersionsAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default) =>
        database.RunAsync<IReadOnlyList<CredentialVersionInfo>>(async connection =>
        {
            var rows = await connection.QueryAsync<(long Version, long CreatedAt)>(new CommandDefinition(
                "SELECT version, created_at FROM credential_versions WHERE tenant = @tenant AND name = @name AND subject = @subject ORDER BY version",
                new { tenant, name, subject }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => new CredentialVersionInfo((int)r.Version, UnixMs.To(r.CreatedAt))).ToArray();
        }, cancellationToken);

    public Task<CredentialWriteResult> WriteAsync(CredentialWrite write, ICredentialValueSealer sealer, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_xact_lock(hashtextextended(@lockKey, 0))",
                new { lockKey = write.Tenant + "\n" + write.Name + "\n" + write.Subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
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
                new { write.Tenant, write.Name, write.Subject, version = (long)version, sealedValue.Ciphertext, sealedValue.WrappedKey, sealedValue.KekId, now },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO credentials (tenant, name, subject, kind, labels, current_version, created_at, updated_at)
                VALUES (@Tenant, @Name, @Subject, @kind, @labels, @version, @now, @now)
                ON CONFLICT (tenant, name, subject) DO UPDATE SET kind = excluded.kind, labels = excluded.labels,
                    current_version = excluded.current_version, updated_at = excluded.updated_at
                """,
                new { write.Tenant, write.Name, write.Subject, kind, labels, version = (long)version, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (write.Subject.Length == 0)
            {
                await RecordChangeAsync(connection, transaction, write.Tenant, write.Name, cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return plan.Result;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string tenant, string name, string? subject, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

            // Two fixed statements (no SQL assembled from input): all subjects, or one.
            var (deleteValues, deleteVersions) = subject is null
                ? ("DELETE FROM credentials WHERE tenant = @tenant AND name = @name", "DELETE FROM credential_versions WHERE tenant = @tenant AND name = @name")
                : ("DELETE FROM credentials WHERE tenant = @tenant AND name = @name AND subject = @subject", "DELETE FROM credential_versions WHERE tenant = @tenant AND name = @name AND subject = @subject");
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                deleteValues, new { tenant, name, subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

            // The rows holding the wrapped data keys go; PostgreSQL reclaims their space at VACUUM (docs/replicas.md).
            await connection.ExecuteAsync(new CommandDefinition(
                deleteVersions, new { tenant, name, subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (deleted > 0 && subject is null or "")
            {
                await RecordChangeAsync(connection, transaction, tenant, name, cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return deleted > 0;
        }, cancellationToken);

    public Task<long> GetCursorAsync(string tenant, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
            await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT seq FROM tenant_cursors WHERE tenant = @tenant", new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0,
            cancellationToken);

    public Task<CredentialChanges> GetChangesAsync(string tenant, long? since, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            // One snapshot (REPEATABLE READ): the cursor and the rows agree.
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            var cursor = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT seq FROM tenant_cursors WHERE tenant = @tenant", new { tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
            if (since is null)
            {
                var all = await connection.QueryAsync<CredentialRow>(new CommandDefinition(
                    SelectCurrent + " WHERE c.tenant = @tenant AND c.subject = '' ORDER BY c.name COLLATE \"C\"", new { tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                return new CredentialChanges(cursor, all.Select(r => r.ToRecord()).ToArray(), []);
            }

            if (since >= cursor)
            {
                return new CredentialChanges(cursor, [], []);
            }

            var names = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT DISTINCT name COLLATE \"C\" AS name FROM credential_changes WHERE tenant = @tenant AND seq > @since ORDER BY 1",
                new { tenant, since }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            var changed = (await connection.QueryAsync<CredentialRow>(new CommandDefinition(
                SelectCurrent + " WHERE c.tenant = @tenant AND c.subject = '' AND c.name = ANY(@names) ORDER BY c.name COLLATE \"C\"",
                new { tenant, names }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).Select(r => r.ToRecord()).ToArray();
            var present = changed.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            return new CredentialChanges(cursor, changed, names.Where(n => !present.Contains(n)).ToArray());
        }, cancellationToken);

    public Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default) =>
        database.RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var rows = (await connection.QueryAsync<(string Tenant, string Name, string Subject, long Version, byte[] WrappedKey, string KekId)>(new CommandDefinition(
                "SELECT tenant, name, subject, version, wrapped_key, kek_id FROM credential_versions FOR UPDATE", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            foreach (var row in rows)
            {
                var (wrapped, kekId) = rewrap(row.WrappedKey, row.KekId);
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE credential_versions SET wrapped_key = @wrapped, kek_id = @kekId WHERE tenant = @Tenant AND name = @Name AND subject = @Subject AND version = @Version",
                    new { wrapped, kekId, row.Tenant, row.Name, row.Subject, row.Version }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            var canary = await connection.QuerySingleOrDefaultAsync<(byte[] WrappedKey, string KekId)?>(new CommandDefinition(
                "SELECT wrapped_key, kek_id FROM vault_canary WHERE id = 1 FOR UPDATE", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (canary is { } c)
            {
                var (wrapped, kekId) = rewrap(c.WrappedKey, c.KekId);
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE vault_canary SET wrapped_key = @wrapped, kek_id = @kekId WHERE id = 1", new { wrapped, kekId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return rows.Length;
        }, cancellationToken);

    private static async Task RecordChangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenant, string name, CancellationToken cancellationToken)
    {
        // The row lock taken here orders this tenant's writers until commit: seq order is commit order.
        var seq = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO tenant_cursors AS t (tenant, seq) VALUES (@tenant, 1)
            ON CONFLICT (tenant) DO UPDATE SET seq = t.seq + 1
            RETURNING seq
            """,
            new { tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var payload = JsonSerializer.Serialize(new ChangePayload(tenant, seq, name));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO credential_changes (tenant, seq, name) VALUES (@tenant, @seq, @name); SELECT pg_notify(@channel, @payload);",
            new { tenant, seq, name, channel = PostgresChannels.Credentials, payload }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
