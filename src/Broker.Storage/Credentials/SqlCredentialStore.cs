using System.Data.Common;
using Broker.Credentials;
using Broker.Storage.Rows;
using Broker.Vault;
using Dapper;

namespace Broker.Storage.Credentials;

/// <summary>
/// <see cref="ICredentialStore"/> written once for every SQL database; the <see cref="StoreDialect"/> supplies what
/// differs. A write of one value runs in a transaction serialised on (tenant, name, subject). The change feed's
/// cursor is the tenant's row in <c>tenant_cursors</c>, bumped in the writing transaction: its row lock orders a
/// tenant's writers, so seq order is commit order.
/// </summary>
public abstract class SqlCredentialStore : ICredentialStore
{
    private const string SelectCurrent = """
        SELECT c.tenant AS Tenant, c.name AS Name, c.subject AS Subject, c.kind AS Kind, c.labels AS Labels,
               c.current_version AS Version, c.created_at AS CreatedAt, c.updated_at AS UpdatedAt,
               v.ciphertext AS Ciphertext, v.wrapped_key AS WrappedKey, v.kek_id AS KekId, c.agent_access AS AgentAccess
        FROM credentials c
        JOIN credential_versions v ON v.tenant = c.tenant AND v.name = c.name AND v.subject = c.subject AND v.version = c.current_version
        """;

    private const string WhereValue = " WHERE c.tenant = @tenant AND c.name = @name AND c.subject = @subject";

    /// <summary>The hot read of <see cref="GetAsync"/> (parameters <c>@tenant</c>, <c>@name</c>, <c>@subject</c>), for a store that keeps it prepared; rows map with <see cref="ReadCurrent"/>.</summary>
    protected const string SelectCurrentValue = SelectCurrent + WhereValue;

    private const string SelectCursor = "SELECT seq FROM tenant_cursors WHERE tenant = @tenant";

    private readonly StoreDialect _dialect;
    private readonly string _list;
    private readonly string _allShared;
    private readonly string _changedNames;
    private readonly string _changedShared;

    protected SqlCredentialStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
        _list = $"""
            SELECT name AS Name, subject AS Subject, kind AS Kind, labels AS Labels, current_version AS Version,
                   created_at AS CreatedAt, updated_at AS UpdatedAt, agent_access AS AgentAccess
            FROM credentials WHERE tenant = @tenant ORDER BY {dialect.Ordinal("name")}, {dialect.Ordinal("subject")}
            """;
        _allShared = SelectCurrent + $" WHERE c.tenant = @tenant AND c.subject = '' ORDER BY {dialect.Ordinal("c.name")}";
        _changedNames = $"SELECT DISTINCT {dialect.Ordinal("name")} AS name FROM credential_changes WHERE tenant = @tenant AND seq > @since ORDER BY 1";
        _changedShared = SelectCurrent +
            " WHERE c.tenant = @tenant AND c.subject = '' AND c.name IN (SELECT name FROM credential_changes WHERE tenant = @tenant AND seq > @since)" +
            $" ORDER BY {dialect.Ordinal("c.name")}";
    }

    /// <summary>
    /// The hot read (every agent read): a plain bound command read by ordinal, no Dapper mapping (Dapper prepares
    /// the statement again on every call with Microsoft.Data.Sqlite, several times the cost: LIMITS.md). It opens its
    /// connection itself rather than through <see cref="StoreDialect.RunAsync{T}"/>: no closure, delegate or second
    /// task per read.
    /// </summary>
    public virtual async Task<CredentialRecord?> GetAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = SelectCurrentValue;
            Bind(command, "@tenant", tenant);
            Bind(command, "@name", name);
            Bind(command, "@subject", subject);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadCurrent(reader) : null;
        }
        catch (Exception ex) when (_dialect.IsUnavailable(ex, cancellationToken))
        {
            throw _dialect.Unavailable(ex);
        }
    }

    public Task<IReadOnlyList<CredentialSummary>> ListAsync(string tenant, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<CredentialSummary>>(async connection =>
        {
            var rows = await connection.QueryAsync<CredentialSummaryRow>(new CommandDefinition(
                _list, new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToSummary()).ToArray();
        }, cancellationToken);

    public Task<IReadOnlyList<CredentialVersionInfo>> ListVersionsAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<CredentialVersionInfo>>(async connection =>
        {
            var rows = await connection.QueryAsync<(long Version, long CreatedAt)>(new CommandDefinition(
                "SELECT version, created_at FROM credential_versions WHERE tenant = @tenant AND name = @name AND subject = @subject ORDER BY version",
                new { tenant, name, subject }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => new CredentialVersionInfo((int)r.Version, UnixMs.To(r.CreatedAt))).ToArray();
        }, cancellationToken);

    public Task<CredentialWriteResult> WriteAsync(CredentialWrite write, ICredentialValueSealer sealer, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            var (tenant, name, subject) = (write.Tenant, write.Name, write.Subject);
            await using var transaction = await _dialect.BeginWriteAsync(connection, tenant + "\n" + name + "\n" + subject, cancellationToken).ConfigureAwait(false);
            var current = (await connection.QuerySingleOrDefaultAsync<CredentialRow>(new CommandDefinition(
                SelectCurrent + WhereValue, new { tenant, name, subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false))?.ToRecord();

            var plan = CredentialWritePlan.Decide(write, current, sealer, StoreJson.Write);
            var now = UnixMs.From(write.Now);
            var kind = plan.Kind;
            var labels = StoreJson.Write(plan.Labels);
            var access = plan.AgentAccess;
            if (plan.Outcome == CredentialWriteOutcome.PreconditionFailed)
            {
                return plan.Result;
            }

            if (plan.Outcome == CredentialWriteOutcome.Unchanged)
            {
                if (plan.MetadataChanged)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE credentials SET kind = @kind, labels = @labels, agent_access = @access, updated_at = @now WHERE tenant = @tenant AND name = @name AND subject = @subject",
                        new { kind, labels, access, now, tenant, name, subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return plan.Result;
            }

            var version = (long)plan.Version;
            var sealedValue = plan.Value!;
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO credential_versions (tenant, name, subject, version, ciphertext, wrapped_key, kek_id, created_at)
                VALUES (@tenant, @name, @subject, @version, @Ciphertext, @WrappedKey, @KekId, @now)
                """,
                new { tenant, name, subject, version, sealedValue.Ciphertext, sealedValue.WrappedKey, sealedValue.KekId, now },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO credentials (tenant, name, subject, kind, labels, agent_access, current_version, created_at, updated_at)
                VALUES (@tenant, @name, @subject, @kind, @labels, @access, @version, @now, @now)
                ON CONFLICT (tenant, name, subject) DO UPDATE SET kind = excluded.kind, labels = excluded.labels, agent_access = excluded.agent_access,
                    current_version = excluded.current_version, updated_at = excluded.updated_at
                """,
                new { tenant, name, subject, kind, labels, access, version, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (subject.Length == 0)
            {
                await RecordChangeAsync(connection, transaction, tenant, name, cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return plan.Result;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string tenant, string name, string? subject, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);

            // Two fixed statements (no SQL assembled from input): all subjects, or one.
            var (deleteValues, deleteVersions) = subject is null
                ? ("DELETE FROM credentials WHERE tenant = @tenant AND name = @name", "DELETE FROM credential_versions WHERE tenant = @tenant AND name = @name")
                : ("DELETE FROM credentials WHERE tenant = @tenant AND name = @name AND subject = @subject", "DELETE FROM credential_versions WHERE tenant = @tenant AND name = @name AND subject = @subject");
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                deleteValues, new { tenant, name, subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                deleteVersions, new { tenant, name, subject }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (deleted > 0 && subject is null or "")
            {
                await RecordChangeAsync(connection, transaction, tenant, name, cancellationToken).ConfigureAwait(false);

                // A sourced credential's source goes with its shared value: a later PUT starts afresh.
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM credential_sources WHERE tenant = @tenant AND name = @name", new { tenant, name }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (deleted > 0)
            {
                await _dialect.AfterDeleteAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            return deleted > 0;
        }, cancellationToken);

    public Task<long> GetCursorAsync(string tenant, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
            await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                SelectCursor, new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0,
            cancellationToken);

    public Task<CredentialChanges> GetChangesAsync(string tenant, long? since, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            // One snapshot: the cursor and the rows agree.
            await using var transaction = await _dialect.BeginSnapshotAsync(connection, cancellationToken).ConfigureAwait(false);
            var cursor = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                SelectCursor, new { tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
            if (since is null)
            {
                var all = await connection.QueryAsync<CredentialRow>(new CommandDefinition(
                    _allShared, new { tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                return new CredentialChanges(cursor, all.Select(r => r.ToRecord()).ToArray(), []);
            }

            if (since >= cursor)
            {
                return new CredentialChanges(cursor, [], []);
            }

            var names = (await connection.QueryAsync<string>(new CommandDefinition(
                _changedNames, new { tenant, since }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            var changed = (await connection.QueryAsync<CredentialRow>(new CommandDefinition(
                _changedShared, new { tenant, since }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).Select(r => r.ToRecord()).ToArray();
            var present = changed.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            return new CredentialChanges(cursor, changed, names.Where(n => !present.Contains(n)).ToArray());
        }, cancellationToken);

    /// <summary>Re-wraps every version's data key and the vault canary's, in one transaction.</summary>
    /// <returns>How many credential versions were re-wrapped.</returns>
    public Task<int> RewrapAllAsync(Func<byte[], string, (byte[] WrappedKey, string KekId)> rewrap, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var count = await WrappedKeys.RewrapAsync(
                _dialect, connection, transaction,
                "SELECT tenant, name, subject, version, wrapped_key, kek_id FROM credential_versions",
                "UPDATE credential_versions SET wrapped_key = @wrapped_key, kek_id = @kek_id WHERE tenant = @tenant AND name = @name AND subject = @subject AND version = @version",
                rewrap, cancellationToken).ConfigureAwait(false);
            await WrappedKeys.RewrapAsync(
                _dialect, connection, transaction,
                "SELECT id, wrapped_key, kek_id FROM vault_canary",
                "UPDATE vault_canary SET wrapped_key = @wrapped_key, kek_id = @kek_id WHERE id = @id",
                rewrap, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return count;
        }, cancellationToken);

    /// <summary>
    /// Called in the writing transaction once a change of the tenant's shared value <paramref name="name"/> is
    /// recorded at <paramref name="cursor"/> (PostgreSQL: a NOTIFY, delivered to every replica at commit).
    /// </summary>
    protected virtual Task OnChangeRecordedAsync(DbConnection connection, DbTransaction transaction, string tenant, long cursor, string name, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    private async Task RecordChangeAsync(DbConnection connection, DbTransaction transaction, string tenant, string name, CancellationToken cancellationToken)
    {
        var seq = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO tenant_cursors AS t (tenant, seq) VALUES (@tenant, 1)
            ON CONFLICT (tenant) DO UPDATE SET seq = t.seq + 1
            RETURNING seq
            """,
            new { tenant }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO credential_changes (tenant, seq, name) VALUES (@tenant, @seq, @name)",
            new { tenant, seq, name }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await OnChangeRecordedAsync(connection, transaction, tenant, seq, name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A row of <see cref="SelectCurrentValue"/> (its columns, in order).</summary>
    protected static CredentialRecord ReadCurrent(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), StoreJson.ReadLabels(reader.GetString(4)),
        (int)reader.GetInt64(5), UnixMs.To(reader.GetInt64(6)), UnixMs.To(reader.GetInt64(7)),
        new SealedValue((byte[])reader.GetValue(8), (byte[])reader.GetValue(9), reader.GetString(10)), reader.GetString(11));

    private static void Bind(DbCommand command, string name, string value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
