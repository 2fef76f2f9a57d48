using System.Collections.Concurrent;
using Broker.Credentials;
using Broker.Storage.Credentials;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Sqlite.Credentials;

/// <summary>
/// <see cref="ICredentialStore"/> on SQLite: the shared store on the SQLite dialect, with its hot read (every agent
/// read, <see cref="GetAsync"/>) on statements prepared once.
/// <para>
/// Microsoft.Data.Sqlite prepares a command's SQL again for every new command, and for this two-table join the
/// compile (parse, resolve, plan) cost more than running it (profile in bench/RESULTS-perf.md). So a few open
/// connections each keep one prepared command, taken by one read at a time and given back; a read that finds none
/// idle opens another, and no more than <see cref="MaxIdle"/> are kept. They are ordinary connections of the
/// broker's database (WAL, the same pragmas), hold no transaction between reads, and see every committed write.
/// </para>
/// </summary>
public sealed class SqliteCredentialStore : SqlCredentialStore, IDisposable
{
    private static readonly int MaxIdle = Environment.ProcessorCount * 2 + 2;

    private readonly SqliteDatabase _database;
    private readonly ConcurrentBag<PreparedRead> _idle = [];
    private int _idleCount;
    private volatile bool _disposed;

    public SqliteCredentialStore(SqliteDatabase database)
        : base(new SqliteDialect(database))
    {
        _database = database;
    }

    public override async Task<CredentialRecord?> GetAsync(string tenant, string name, string subject, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var read = TakeIdle() ?? await PreparedRead.OpenAsync(_database, cancellationToken).ConfigureAwait(false);
        try
        {
            var record = read.Execute(tenant, name, subject);
            GiveBack(read);
            read = null;
            return record;
        }
        finally
        {
            // A read that threw may have left its connection in any state: closed, not reused.
            read?.Dispose();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var read))
        {
            read.Dispose();
        }
    }

    private PreparedRead? TakeIdle()
    {
        if (_idle.TryTake(out var read))
        {
            Interlocked.Decrement(ref _idleCount);
            return read;
        }

        return null;
    }

    private void GiveBack(PreparedRead read)
    {
        if (_disposed || Interlocked.Increment(ref _idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            read.Dispose();
            return;
        }

        _idle.Add(read);
        if (_disposed && _idle.TryTake(out var late))
        {
            late.Dispose();
        }
    }

    private sealed class PreparedRead : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _command;
        private readonly SqliteParameter _tenant;
        private readonly SqliteParameter _name;
        private readonly SqliteParameter _subject;

        private PreparedRead(SqliteConnection connection)
        {
            _connection = connection;
            _command = connection.CreateCommand();
            _command.CommandText = SelectCurrentValue;
            _tenant = _command.Parameters.Add("@tenant", SqliteType.Text);
            _name = _command.Parameters.Add("@name", SqliteType.Text);
            _subject = _command.Parameters.Add("@subject", SqliteType.Text);
            _command.Prepare();
        }

        public static async Task<PreparedRead> OpenAsync(SqliteDatabase database, CancellationToken cancellationToken)
        {
            var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return new PreparedRead(connection);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        // Synchronous: Microsoft.Data.Sqlite's async is synchronous underneath.
        public CredentialRecord? Execute(string tenant, string name, string subject)
        {
            _tenant.Value = tenant;
            _name.Value = name;
            _subject.Value = subject;
            using var reader = _command.ExecuteReader();
            return reader.Read() ? ReadCurrent(reader) : null;
        }

        public void Dispose()
        {
            _command.Dispose();
            _connection.Dispose();
        }
    }
}
