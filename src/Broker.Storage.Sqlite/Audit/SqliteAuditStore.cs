using Broker.Audit;
using Broker.Storage.Audit;
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

    private readonly Func<CancellationToken, Task<SqliteConnection>> _open;
    private readonly SqliteDatabase? _database;

    // The broker database's own append connection and its prepared INSERT, used under _writerGate only.
    private readonly Lock _writerGate = new();
    private SqliteConnection? _writer;
    private SqliteCommand? _insert;
    private SqliteParameter[]? _parameters;
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
        Insert(command, p, records, cancellationToken);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

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
                        // The indexes' leaf pages an append touches are spread over the whole trail (value_hmac is
                        // random): a 32 MiB page cache keeps them in this connection instead of re-reading them.
                        cache.CommandText = "PRAGMA cache_size=-32768;";
                        cache.ExecuteNonQuery();
                    }

                    _insert = _writer.CreateCommand();
                    _parameters = PrepareInsert(_insert);
                }

                using var transaction = _writer.BeginTransaction(deferred: false);
                _insert!.Transaction = transaction;
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
            }
        }
    }

    private void CloseWriter()
    {
        _insert?.Dispose();
        _writer?.Dispose();
        _insert = null;
        _writer = null;
        _parameters = null;
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
