using Broker.Credentials;
using Dapper;

namespace Broker.Storage.Credentials;

/// <summary><see cref="ICredentialSourceStore"/> written once for every SQL database: the rows of <c>credential_sources</c>.</summary>
public abstract class SqlCredentialSourceStore : ICredentialSourceStore
{
    private const string Select = """
        SELECT tenant AS Tenant, name AS Name, kind AS Kind, vault_uri AS VaultUri, secret_name AS SecretName,
               sync_status AS SyncStatus, last_synced_at AS LastSyncedAt, sync_error AS SyncError
        FROM credential_sources
        """;

    private readonly StoreDialect _dialect;

    protected SqlCredentialSourceStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
    }

    public Task<CredentialSource?> GetAsync(string tenant, string name, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
            (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                Select + " WHERE tenant = @tenant AND name = @name", new { tenant, name }, cancellationToken: cancellationToken)).ConfigureAwait(false))?.ToSource(),
            cancellationToken);

    public Task<IReadOnlyList<CredentialSource>> ListAllAsync(CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<CredentialSource>>(async connection =>
            (await connection.QueryAsync<Row>(new CommandDefinition(Select, cancellationToken: cancellationToken)).ConfigureAwait(false))
                .Select(r => r.ToSource()).ToArray(),
            cancellationToken);

    public Task SetAsync(CredentialSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO credential_sources (tenant, name, kind, vault_uri, secret_name, sync_status, last_synced_at, sync_error)
            VALUES (@Tenant, @Name, @Kind, @VaultUri, @SecretName, @SyncStatus, @at, @SyncError)
            ON CONFLICT (tenant, name) DO UPDATE SET kind = excluded.kind, vault_uri = excluded.vault_uri, secret_name = excluded.secret_name,
                sync_status = excluded.sync_status, last_synced_at = excluded.last_synced_at, sync_error = excluded.sync_error
            """,
            new { source.Tenant, source.Name, source.Kind, source.VaultUri, source.SecretName, source.SyncStatus, at = UnixMs.From(source.LastSyncedAt), source.SyncError },
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task RecordSyncAsync(string tenant, string name, string status, DateTimeOffset at, string? error, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE credential_sources SET sync_status = @status, last_synced_at = @at, sync_error = @error WHERE tenant = @tenant AND name = @name",
            new { tenant, name, status, at = UnixMs.From(at), error }, cancellationToken: cancellationToken)), cancellationToken);

    private sealed record Row(string Tenant, string Name, string Kind, string VaultUri, string SecretName, string? SyncStatus, long? LastSyncedAt, string? SyncError)
    {
        public CredentialSource ToSource() => new(Tenant, Name, Kind, VaultUri, SecretName, SyncStatus, UnixMs.To(LastSyncedAt), SyncError);
    }
}
