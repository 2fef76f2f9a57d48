using System.Text.Json;
using Broker.Identity;
using Dapper;

namespace Broker.Storage.Identity;

/// <summary>
/// <see cref="IWorkloadProfileStore"/> written once for every SQL database: the rows of <c>workload_profiles</c> and
/// <c>workload_keys</c>. A delete and the recording of a key issued by the same profile take the same write lock, so a
/// login that raced a delete either is seen by it (and revoked) or finds the profile gone.
/// </summary>
public abstract class SqlWorkloadProfileStore : IWorkloadProfileStore
{
    private const string Columns = """
        SELECT id AS Id, tenant AS Tenant, name AS Name, issuer AS Issuer, subject_pattern AS SubjectPattern, claims AS Claims,
               key_fields AS KeyFields, ttl_seconds AS TtlSeconds, created_at AS CreatedAt
        FROM workload_profiles
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private readonly StoreDialect _dialect;
    private readonly string _list;
    private readonly string _find;

    protected SqlWorkloadProfileStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
        _list = Columns + $" WHERE tenant = @tenant ORDER BY {dialect.Ordinal("name")}";
        _find = Columns + $" WHERE name = @name ORDER BY {dialect.Ordinal("tenant")}";
    }

    public Task<IReadOnlyList<WorkloadProfile>> ListAsync(string tenant, CancellationToken cancellationToken = default) =>
        QueryAsync(_list, new { tenant }, cancellationToken);

    public async Task<WorkloadProfile?> GetAsync(string tenant, string name, CancellationToken cancellationToken = default) =>
        (await QueryAsync(Columns + " WHERE tenant = @tenant AND name = @name", new { tenant, name }, cancellationToken).ConfigureAwait(false)).SingleOrDefault();

    public Task<IReadOnlyList<WorkloadProfile>> FindAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(_find, new { name }, cancellationToken);

    public Task<bool> InsertAsync(WorkloadProfile profile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return _dialect.RunAsync(async connection =>
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(InsertSql, InsertParameters(profile), cancellationToken: cancellationToken)).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (_dialect.IsUniqueViolation(ex))
            {
                return false;
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyList<string>?> DeleteAsync(string tenant, string name, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        RemoveAsync(tenant, name, now, null, cancellationToken);

    public Task<IReadOnlyList<string>?> ReplaceAsync(WorkloadProfile profile, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return RemoveAsync(profile.Tenant, profile.Name, now, profile, cancellationToken);
    }

    // Deletes the tenant's profile of that name and, in the same transaction, inserts its replacement when given.
    private Task<IReadOnlyList<string>?> RemoveAsync(string tenant, string name, DateTimeOffset now, WorkloadProfile? replacement, CancellationToken cancellationToken) =>
        _dialect.RunAsync<IReadOnlyList<string>?>(async connection =>
        {
            var id = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "SELECT id FROM workload_profiles WHERE tenant = @tenant AND name = @name", new { tenant, name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (id is null)
            {
                return null;
            }

            await using var transaction = await _dialect.BeginWriteAsync(connection, LockOf(id), cancellationToken).ConfigureAwait(false);
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM workload_profiles WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (deleted == 0)
            {
                return null;
            }

            var keys = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT key_id FROM workload_keys WHERE profile_id = @id AND expires_at > @at", new { id, at = UnixMs.From(now) }, transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            if (replacement is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(InsertSql, InsertParameters(replacement), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return keys;
        }, cancellationToken);

    public Task<bool> AddKeyAsync(string profileId, string keyId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, LockOf(profileId), cancellationToken).ConfigureAwait(false);
            var added = await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO workload_keys (key_id, profile_id, expires_at)
                SELECT @keyId, @profileId, @expiresAt WHERE EXISTS (SELECT 1 FROM workload_profiles WHERE id = @profileId)
                """,
                new { keyId, profileId, expiresAt = UnixMs.From(expiresAt) }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return added == 1;
        }, cancellationToken);

    public Task<int> PruneAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, null, cancellationToken).ConfigureAwait(false);
            var cutoff = new { cutoff = UnixMs.From(expiredBefore) };
            const string Expired = "SELECT key_id FROM workload_keys WHERE expires_at < @cutoff";
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM key_secrets WHERE key_id IN ({Expired})", cutoff, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM api_keys WHERE id IN ({Expired})", cutoff, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var pruned = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM workload_keys WHERE expires_at < @cutoff", cutoff, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return pruned;
        }, cancellationToken);

    private const string InsertSql = """
        INSERT INTO workload_profiles (id, tenant, name, issuer, subject_pattern, claims, key_fields, ttl_seconds, created_at)
        VALUES (@Id, @Tenant, @Name, @Issuer, @SubjectPattern, @Claims, @KeyFields, @TtlSeconds, @CreatedAt)
        """;

    private static object InsertParameters(WorkloadProfile profile) => new
    {
        profile.Id, profile.Tenant, profile.Name, profile.Issuer, profile.SubjectPattern,
        Claims = JsonSerializer.Serialize(profile.Claims, Json), KeyFields = JsonSerializer.Serialize(profile.Key, Json),
        TtlSeconds = (long)profile.TtlSeconds, CreatedAt = UnixMs.From(profile.CreatedAt),
    };

    private static string LockOf(string profileId) => "workload-profile:" + profileId;

    private Task<IReadOnlyList<WorkloadProfile>> QueryAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        _dialect.RunAsync<IReadOnlyList<WorkloadProfile>>(async connection =>
            (await connection.QueryAsync<Row>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false))
                .Select(r => r.ToProfile()).ToArray(),
            cancellationToken);

    private sealed record Row(string Id, string Tenant, string Name, string Issuer, string SubjectPattern, string Claims, string KeyFields, long TtlSeconds, long CreatedAt)
    {
        public WorkloadProfile ToProfile() => new(
            Id, Tenant, Name, Issuer, SubjectPattern,
            JsonSerializer.Deserialize<SortedDictionary<string, string>>(Claims, Json) ?? [],
            JsonSerializer.Deserialize<WorkloadKeyFields>(KeyFields, Json) ?? new WorkloadKeyFields(),
            (int)TtlSeconds, UnixMs.To(CreatedAt));
    }
}
