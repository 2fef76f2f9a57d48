using Broker.Audit;
using Broker.Storage.Audit;
using Broker.Storage.Rows;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Sqlite.Audit;

/// <summary>
/// <see cref="IAuditStore"/> on SQLite (table <c>audit_records</c>, migration <c>0003_audit.sql</c>). Append-only:
/// one prepared INSERT, re-bound for every row of a batch inside one transaction; no UPDATE or DELETE exists here.
/// The reads are the shared ones (<see cref="SqlAuditStore"/>). Every value is a bound parameter.
/// <para>
/// On the broker's database (<see cref="SqliteAuditStore(SqliteDatabase)"/>) appends go through one connection of
/// their own, outside the pool, with the INSERT prepared once for the connection's life (not once per batch:
/// SQLite compiling it cost about 70 µs a batch). Same settings as every connection: WAL, <c>synchronous=FULL</c>,
/// so a commit is on disk when it returns.
/// </para>
/// <para>
/// "Was this secret read?" goes through <c>audit_value_blocks</c> (migration 0013), not an index on the records: a
/// read record adds a row only the first time its block of <see cref="ValueBlockSize"/> ids sees its value's HMAC,
/// so an append writes pages at the tail of the trail and not one random index page per read.
/// </para>
/// </summary>
public sealed class SqliteAuditStore : SqlAuditStore, IDisposable
{
    private const string InsertSql =
        "INSERT INTO audit_records (tenant, id, time, actor_key_id, actor_name, actor_role, action, target, outcome, " +
        "reason, request_id, client_address, user_agent, value_hmac, prev_hash, hash) VALUES (@Tenant, @Id, @Time, " +
        "@ActorKeyId, @ActorName, @ActorRole, @Action, @Target, @Outcome, @Reason, @RequestId, @ClientAddress, " +
        "@UserAgent, @ValueHmac, @PrevHash, @Hash)";

    private static readonly string[] InsertParameters =
    [
        "@Tenant", "@Id", "@Time", "@ActorKeyId", "@ActorName", "@ActorRole", "@Action", "@Target", "@Outcome",
        "@Reason", "@RequestId", "@ClientAddress", "@UserAgent", "@ValueHmac", "@PrevHash", "@Hash",
    ];

    /// <summary>Ids per block of <c>audit_value_blocks</c>: block = id &gt;&gt; <see cref="ValueBlockShift"/>.</summary>
    public const int ValueBlockShift = 14;

    /// <summary>16,384: a value read in a block costs one row there, and the question scans a named block whole.</summary>
    public const long ValueBlockSize = 1L << ValueBlockShift;

    private const string InsertBlockSql =
        "INSERT OR IGNORE INTO audit_value_blocks (tenant, value_hmac, block) VALUES (@Tenant, @ValueHmac, @Block)";

    // The blocks the append connection has written (or found written), so a read of a value already in its block
    // costs no statement at all. Bounded; cleared when it fills, and with the connection on any failed batch (whose
    // rolled-back rows the next batch must write again).
    private const int MaxKnownBlocks = 65_536;

    private readonly Func<CancellationToken, Task<SqliteConnection>> _open;
    private readonly SqliteDatabase? _database;

    // The broker database's own append connection and its prepared INSERT, used under _writerGate only.
    private readonly Lock _writerGate = new();
    private SqliteConnection? _writer;
    private SqliteCommand? _insert;
    private SqliteParameter[]? _parameters;
    private SqliteCommand? _insertBlock;
    private SqliteParameter[]? _blockParameters;
    private readonly HashSet<(string Tenant, string ValueHmac, long Block)> _knownBlocks = [];
    private bool _disposed;

    /// <summary>Uses connections from <paramref name="open"/> (opened, configured: WAL, <c>synchronous=FULL</c> for durability across a machine crash).</summary>
    public SqliteAuditStore(Func<CancellationToken, Task<SqliteConnection>> open)
        : base(new SqliteDialect(open ?? throw new ArgumentNullException(nameof(open))))
    {
        _open = open;
    }

    /// <summary>On the broker's database, through a connection of its own (see the class remarks); migration 0003 must have been applied.</summary>
    public SqliteAuditStore(SqliteDatabase database)
        : this((database ?? throw new ArgumentNullException(nameof(database))).OpenAsync)
    {
        _database = database;
    }

    public override async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        if (_database is not null)
        {
            AppendOnOwnConnection(records, cancellationToken);
            return;
        }

        await using var connection = await _open(cancellationToken).ConfigureAwait(false);
        // IMMEDIATE: take the write lock up front so a busy database waits (busy_timeout) instead of failing mid-batch.
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var command = connection.CreateCommand();
        var p = PrepareInsert(command);
        command.Transaction = transaction;
        await using var blockCommand = connection.CreateCommand();
        var bp = PrepareInsertBlock(blockCommand);
        blockCommand.Transaction = transaction;
        InsertBlocks(blockCommand, bp, records, []);
        Insert(command, p, records, cancellationToken);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The blocks in which the value was read, newest first, each scanned through the primary key for the records
    /// that carry it, until <paramref name="limit"/> are found. One read transaction, so one state.
    /// </summary>
    public override Task<IReadOnlyList<AuditRecord>> FindByValueHmacAsync(string tenant, string valueHmac, int limit, CancellationToken cancellationToken) =>
        Dialect.RunAsync<IReadOnlyList<AuditRecord>>(async connection =>
        {
            await using var transaction = await Dialect.BeginSnapshotAsync(connection, cancellationToken).ConfigureAwait(false);
            var blocks = await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT block FROM audit_value_blocks WHERE tenant = @tenant AND value_hmac = @valueHmac ORDER BY block DESC",
                new { tenant, valueHmac }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var found = new List<AuditRecord>();
            foreach (var block in blocks)
            {
                var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
                    $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND id >= @first AND id <= @last AND value_hmac = @valueHmac ORDER BY id DESC LIMIT @remaining",
                    new { tenant, valueHmac, first = block << ValueBlockShift, last = ((block + 1) << ValueBlockShift) - 1, remaining = (long)(limit - found.Count) },
                    transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                found.AddRange(rows.Select(r => r.ToRecord()));
                if (found.Count >= limit)
                {
                    break;
                }
            }

            return found;
        }, cancellationToken);

    public void Dispose()
    {
        lock (_writerGate)
        {
            _disposed = true;
            CloseWriter();
        }
    }

    private void AppendOnOwnConnection(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        lock (_writerGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                if (_writer is null)
                {
                    _writer = _database!.OpenDedicated();
                    using (var cache = _writer.CreateCommand())
                    {
                        // A 32 MiB page cache keeps the pages an append touches (the tails of the table and its
                        // indexes, the value blocks) in this connection instead of re-reading them.
                        cache.CommandText = "PRAGMA cache_size=-32768;";
                        cache.ExecuteNonQuery();
                    }

                    _insert = _writer.CreateCommand();
                    _parameters = PrepareInsert(_insert);
                    _insertBlock = _writer.CreateCommand();
                    _blockParameters = PrepareInsertBlock(_insertBlock);
                }

                using var transaction = _writer.BeginTransaction(deferred: false);
                _insert!.Transaction = transaction;
                _insertBlock!.Transaction = transaction;
                if (_knownBlocks.Count > MaxKnownBlocks)
                {
                    _knownBlocks.Clear();
                }

                InsertBlocks(_insertBlock, _blockParameters!, records, _knownBlocks);
                Insert(_insert, _parameters!, records, cancellationToken);
                transaction.Commit();
            }
            catch
            {
                // A connection that failed mid-batch is not reused: the next batch opens a fresh one.
                CloseWriter();
                throw;
            }
            finally
            {
                if (_insert is not null)
                {
                    _insert.Transaction = null;
                }

                if (_insertBlock is not null)
                {
                    _insertBlock.Transaction = null;
                }
            }
        }
    }

    private void CloseWriter()
    {
        _insert?.Dispose();
        _insertBlock?.Dispose();
        _writer?.Dispose();
        _insert = null;
        _insertBlock = null;
        _writer = null;
        _parameters = null;
        _blockParameters = null;
        _knownBlocks.Clear();
    }

    private static SqliteParameter[] PrepareInsertBlock(SqliteCommand command)
    {
        command.CommandText = InsertBlockSql;
        SqliteParameter[] p =
        [
            command.Parameters.Add("@Tenant", SqliteType.Text),
            command.Parameters.Add("@ValueHmac", SqliteType.Text),
            command.Parameters.Add("@Block", SqliteType.Integer),
        ];
        command.Prepare();
        return p;
    }

    // Writes every read record's (tenant, value HMAC, block) that is not in known yet, and adds it there.
    private static void InsertBlocks(
        SqliteCommand command,
        SqliteParameter[] p,
        IReadOnlyList<AuditRecord> records,
        HashSet<(string Tenant, string ValueHmac, long Block)> known)
    {
        foreach (var r in records)
        {
            if (r.ValueHmac is null)
            {
                continue;
            }

            var key = (r.Tenant, r.ValueHmac, r.Id >> ValueBlockShift);
            if (!known.Add(key))
            {
                continue;
            }

            p[0].Value = key.Tenant;
            p[1].Value = key.ValueHmac;
            p[2].Value = key.Item3;
            command.ExecuteNonQuery();
        }
    }

    private static SqliteParameter[] PrepareInsert(SqliteCommand command)
    {
        // The hot path of group commit, so a command prepared once and re-bound per row rather than Dapper, which
        // rebuilds the parameters per row: measured 8 µs against ~30 µs a row (LIMITS.md, "prepared command
        // reused"). Still only bound parameters, never values in the SQL text.
        command.CommandText = InsertSql;
        var p = new SqliteParameter[InsertParameters.Length];
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = command.Parameters.Add(InsertParameters[i], i == 1 ? SqliteType.Integer : SqliteType.Text);
        }

        command.Prepare();
        return p;
    }

    private static void Insert(SqliteCommand command, SqliteParameter[] p, IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        // A batch is stamped with one time (GroupCommitAuditLog): format it once, not once per row.
        var time = default(DateTimeOffset);
        string? timeText = null;
        foreach (var r in records)
        {
            if (timeText is null || r.Time != time)
            {
                time = r.Time;
                timeText = AuditTime.ToText(time);
            }

            p[0].Value = r.Tenant;
            p[1].Value = r.Id;
            // The exact text that was hashed: a record read back re-hashes to the same value.
            p[2].Value = timeText;
            p[3].Value = (object?)r.Actor.KeyId ?? DBNull.Value;
            p[4].Value = (object?)r.Actor.Name ?? DBNull.Value;
            p[5].Value = (object?)r.Actor.Role ?? DBNull.Value;
            p[6].Value = r.Action;
            p[7].Value = r.Target;
            p[8].Value = r.Outcome;
            p[9].Value = (object?)r.Reason ?? DBNull.Value;
            p[10].Value = r.RequestId;
            p[11].Value = (object?)r.ClientAddress ?? DBNull.Value;
            p[12].Value = (object?)r.UserAgent ?? DBNull.Value;
            p[13].Value = (object?)r.ValueHmac ?? DBNull.Value;
            p[14].Value = r.PrevHash;
            p[15].Value = r.Hash;

            // Synchronous on purpose: Microsoft.Data.Sqlite's async is synchronous underneath, and this loop is
            // the single writer's hot path (a Task per row is pure overhead here).
            cancellationToken.ThrowIfCancellationRequested();
            command.ExecuteNonQuery();
        }
    }
}
