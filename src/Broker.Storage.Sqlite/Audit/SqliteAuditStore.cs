using Broker.Audit;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Sqlite.Audit;

/// <summary>
/// <see cref="IAuditStore"/> on SQLite (table <c>audit_records</c>, migration <c>0003_audit.sql</c>). Append-only:
/// one INSERT statement, reused for every row of a batch inside one transaction; no UPDATE or DELETE exists here.
/// Every value is a bound parameter.
/// </summary>
public sealed class SqliteAuditStore : IAuditStore
{
    private const string Columns =
        "tenant AS Tenant, id AS Id, time AS Time, actor_key_id AS ActorKeyId, actor_name AS ActorName, " +
        "actor_role AS ActorRole, action AS Action, target AS Target, outcome AS Outcome, reason AS Reason, " +
        "request_id AS RequestId, client_address AS ClientAddress, user_agent AS UserAgent, value_hmac AS ValueHmac, " +
        "prev_hash AS PrevHash, hash AS Hash";

    private const string InsertSql =
        "INSERT INTO audit_records (tenant, id, time, actor_key_id, actor_name, actor_role, action, target, outcome, " +
        "reason, request_id, client_address, user_agent, value_hmac, prev_hash, hash) VALUES (@Tenant, @Id, @Time, " +
        "@ActorKeyId, @ActorName, @ActorRole, @Action, @Target, @Outcome, @Reason, @RequestId, @ClientAddress, " +
        "@UserAgent, @ValueHmac, @PrevHash, @Hash)";

    private readonly Func<CancellationToken, Task<SqliteConnection>> _open;

    /// <summary>Uses connections from <paramref name="open"/> (opened, configured: WAL, <c>synchronous=FULL</c> for durability across a machine crash).</summary>
    public SqliteAuditStore(Func<CancellationToken, Task<SqliteConnection>> open)
    {
        ArgumentNullException.ThrowIfNull(open);
        _open = open;
    }

    /// <summary>Opens its own connections to <paramref name="connectionString"/> with WAL and <c>synchronous=FULL</c>.</summary>
    public SqliteAuditStore(string connectionString)
        : this(ct => OpenConfiguredAsync(connectionString, ct))
    {
    }

    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        var rows = new AuditRow[records.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = AuditRow.From(records[i]);
        }

        await using var connection = await _open(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Dapper runs the one command once per row, re-binding its parameters; SQLite keeps it prepared.
        await connection.ExecuteAsync(new CommandDefinition(InsertSql, rows, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<AuditChainHead> GetHeadAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var connection = await _open(cancellationToken).ConfigureAwait(false);
        var head = await connection.QueryFirstOrDefaultAsync<HeadRow>(new CommandDefinition(
            "SELECT id AS Id, hash AS Hash FROM audit_records WHERE tenant = @tenant ORDER BY id DESC LIMIT 1",
            new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return head is null ? AuditChainHead.Genesis : new AuditChainHead(head.Id, head.Hash);
    }

    public Task<IReadOnlyList<AuditRecord>> QueryAsync(
        string tenant, DateTimeOffset? since, string? action, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant " +
            "AND (@since IS NULL OR time >= @since) AND (@action IS NULL OR action = @action) ORDER BY id LIMIT @limit",
            new { tenant, since = since is null ? null : AuditTime.ToText(since.Value), action, limit },
            cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> ReadChainAsync(string tenant, long afterId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND id > @afterId ORDER BY id LIMIT @limit",
            new { tenant, afterId, limit },
            cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> GetRecentByKeyAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND actor_key_id = @keyId ORDER BY id DESC LIMIT @limit",
            new { tenant, keyId, limit },
            cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> FindByValueHmacAsync(string tenant, string valueHmac, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND value_hmac = @valueHmac ORDER BY id DESC LIMIT @limit",
            new { tenant, valueHmac, limit },
            cancellationToken);

    private static async Task<SqliteConnection> OpenConfiguredAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<IReadOnlyList<AuditRecord>> ReadAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await _open(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    private sealed class HeadRow
    {
        public long Id { get; set; }

        public string Hash { get; set; } = string.Empty;
    }

    private sealed class AuditRow
    {
        public string Tenant { get; set; } = string.Empty;

        public long Id { get; set; }

        public string Time { get; set; } = string.Empty;

        public string? ActorKeyId { get; set; }

        public string? ActorName { get; set; }

        public string? ActorRole { get; set; }

        public string Action { get; set; } = string.Empty;

        public string Target { get; set; } = string.Empty;

        public string Outcome { get; set; } = string.Empty;

        public string? Reason { get; set; }

        public string RequestId { get; set; } = string.Empty;

        public string? ClientAddress { get; set; }

        public string? UserAgent { get; set; }

        public string? ValueHmac { get; set; }

        public string PrevHash { get; set; } = string.Empty;

        public string Hash { get; set; } = string.Empty;

        public static AuditRow From(AuditRecord r) => new()
        {
            Tenant = r.Tenant,
            Id = r.Id,
            // The exact text that was hashed: a record read back re-hashes to the same value.
            Time = AuditTime.ToText(r.Time),
            ActorKeyId = r.Actor.KeyId,
            ActorName = r.Actor.Name,
            ActorRole = r.Actor.Role,
            Action = r.Action,
            Target = r.Target,
            Outcome = r.Outcome,
            Reason = r.Reason,
            RequestId = r.RequestId,
            ClientAddress = r.ClientAddress,
            UserAgent = r.UserAgent,
            ValueHmac = r.ValueHmac,
            PrevHash = r.PrevHash,
            Hash = r.Hash,
        };

        // A time that is not in the canonical spelling can only come from outside the writer; it becomes
        // DateTimeOffset.MinValue, which no longer hashes to the stored hash, so verification reports the row.
        public AuditRecord ToRecord() => new(
            Id,
            AuditTime.TryParse(Time, out var time) ? time : DateTimeOffset.MinValue,
            Tenant,
            new AuditActor(ActorKeyId, ActorName, ActorRole),
            Action,
            Target,
            Outcome,
            Reason,
            RequestId,
            ClientAddress,
            UserAgent,
            ValueHmac,
            PrevHash,
            Hash);
    }
}
