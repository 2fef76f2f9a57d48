using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Broker.Audit;

/// <summary>
/// The fail-closed audit log at full speed: group commit.
/// <para>
/// <see cref="RecordAsync"/> enqueues the entry on a bounded channel and awaits a completion shared with the
/// batch it lands in. One writer loop drains up to <see cref="AuditOptions.MaxBatchSize"/> entries, stamps the
/// time, chains each tenant's records in queue order onto that tenant's head, appends the whole batch in one
/// transaction, and only then completes every waiter. One fsync serves the batch, so throughput grows with
/// concurrency while each answer still waits for its own record to be durable.
/// </para>
/// <para>
/// Failure: when the append throws, the cached heads are dropped and re-read from the store (the store, not
/// memory, says where a chain ends, so it never forks over a record that did or did not land), the batch is
/// re-chained and retried up to <see cref="AuditOptions.AppendAttempts"/> times, and then every waiter of the
/// batch gets <see cref="AuditUnavailableException"/>. A full queue waits up to
/// <see cref="AuditOptions.EnqueueTimeout"/>, then fails closed the same way.
/// </para>
/// <para>
/// The loop starts in the constructor, not with the host, so records made while the host starts (the bootstrap
/// admin key) are written too. <see cref="StopAsync"/> drains what is queued.
/// </para>
/// </summary>
public sealed partial class GroupCommitAuditLog : IAuditLog, IAsyncDisposable, IDisposable
{
    private readonly IAuditStore _store;
    private readonly IAuditSink[] _sinks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxBatchSize;
    private readonly int _appendAttempts;
    private readonly TimeSpan _enqueueTimeout;
    private readonly Channel<Pending> _queue;
    private readonly Channel<SinkItem>? _sinkQueue;

    // The last head this writer committed per tenant, published after the batch went to the sink queue, so a
    // checkpoint of it (PublishCheckpoint) reaches the sinks after the records it covers.
    private readonly ConcurrentDictionary<string, AuditChainHead> _committed = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _writerLoop;
    // Wakes the writer thread: set by every enqueue and by completion, reset by the writer before it re-checks.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);

    // Committed (durable) batches handed from the writer thread to the publishing thread under _publishLock, so the
    // writer starts the next transaction while this batch's waiters are being woken.
    private readonly object _publishLock = new();
    private readonly List<Committed> _committedBatches = [];
    private bool _writerDone;
    private readonly Task _sinkLoop;

    // Owned by the writer loop alone: no locks. A tenant absent here is read from the store on first use.
    private readonly Dictionary<string, AuditChainHead> _heads = new(StringComparer.Ordinal);
    private DateTimeOffset _lastTime = DateTimeOffset.MinValue;

    public GroupCommitAuditLog(
        IAuditStore store,
        IEnumerable<IAuditSink> sinks,
        IOptions<AuditOptions> options,
        TimeProvider time,
        ILogger<GroupCommitAuditLog>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(sinks);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var o = options.Value;
        ArgumentOutOfRangeException.ThrowIfLessThan(o.QueueCapacity, 1, nameof(o.QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxBatchSize, 1, nameof(o.MaxBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(o.AppendAttempts, 1, nameof(o.AppendAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(o.EnqueueTimeout, TimeSpan.Zero, nameof(o.EnqueueTimeout));

        _store = store;
        _sinks = sinks.ToArray();
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _maxBatchSize = o.MaxBatchSize;
        _appendAttempts = o.AppendAttempts;
        _enqueueTimeout = o.EnqueueTimeout;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(o.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        if (_sinks.Length > 0)
        {
            _sinkQueue = Channel.CreateBounded<SinkItem>(new BoundedChannelOptions(Math.Max(1, o.SinkQueueCapacity))
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        // The writer is the one serial stage every audited answer waits on. On a thread of its own it is never queued
        // behind the requests it serves (on the thread pool, each batch's continuation waited its turn behind them).
        _writerLoop = Task.WhenAll(
            StartThread("Broker audit writer", WriteLoop),
            StartThread("Broker audit publisher", PublishLoop));
        _sinkLoop = _sinkQueue is null ? Task.CompletedTask : Task.Run(SinkLoopAsync);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Cancelling <paramref name="cancellationToken"/> stops the wait, never the record. Once enqueued, an entry may
    /// already be inside a transaction in flight; pulling it out would race the writer, and the only safe direction
    /// for an audit trail to err is to record an attempt that then did not proceed (the cancelled caller gets
    /// <see cref="OperationCanceledException"/> and must not proceed either), never to proceed without a record.
    /// A token cancelled before the call records nothing.
    /// </remarks>
    public ValueTask RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        Validate(entry);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var pending = new Pending(entry);
        if (_queue.Writer.TryWrite(pending))
        {
            _wake.Set();
            return Wait(pending, cancellationToken);
        }

        return EnqueueSlowAsync(pending, cancellationToken);
    }

    /// <summary>
    /// The head of each tenant's chain as this writer last committed it (a snapshot). With replicas another writer may
    /// have appended since; a checkpoint of this head is still true: the chain held that record with that hash.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, AuditChainHead>> CommittedHeads() => _committed.ToArray();

    /// <summary>
    /// Hands a signed checkpoint to the sinks that record checkpoints, behind every batch committed before it. Like
    /// a batch, it is dropped (and logged) when the sink queue is full; returns whether it was queued.
    /// </summary>
    public bool PublishCheckpoint(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (_sinkQueue is null || !_sinks.Any(s => s is IAuditCheckpointSink))
        {
            return false;
        }

        if (_sinkQueue.Writer.TryWrite(new SinkItem(null, checkpoint)))
        {
            return true;
        }

        LogSinkDropped(_logger, 1);
        return false;
    }

    /// <summary>Stops taking records, commits what is queued, and waits for the sinks. When <paramref name="cancellationToken"/> fires first, queued records fail with <see cref="AuditUnavailableException"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _queue.Writer.TryComplete();
        _wake.Set();
        await using (cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _abort).ConfigureAwait(false))
        {
            await _writerLoop.ConfigureAwait(false);
            _sinkQueue?.Writer.TryComplete();
            await _sinkLoop.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _abort.Dispose();
    }

    /// <summary>For containers disposed synchronously: drains like <see cref="DisposeAsync"/>, blocking the caller.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static ValueTask Wait(Pending pending, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? new ValueTask(pending.Task.WaitAsync(cancellationToken)) : new ValueTask(pending.Task);

    private async ValueTask EnqueueSlowAsync(Pending pending, CancellationToken cancellationToken)
    {
        if (_queue.Reader.Completion.IsCompleted)
        {
            throw new AuditUnavailableException("The audit log is stopped; the operation was not performed.");
        }

        try
        {
            if (_enqueueTimeout == TimeSpan.Zero)
            {
                throw new OperationCanceledException();
            }

            using var timeout = new CancellationTokenSource(_enqueueTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            await _queue.Writer.WriteAsync(pending, linked.Token).ConfigureAwait(false);
            _wake.Set();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogQueueFull(_logger);
            throw new AuditUnavailableException("The audit log is saturated; the operation was not performed.");
        }
        catch (ChannelClosedException ex)
        {
            throw new AuditUnavailableException("The audit log is stopped; the operation was not performed.", ex);
        }

        await Wait(pending, cancellationToken).ConfigureAwait(false);
    }

    private static Task StartThread(string name, Action loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                loop();
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        }.Start();
        return done.Task;
    }

    private void WriteLoop()
    {
        try
        {
            WriteBatches();
        }
        finally
        {
            lock (_publishLock)
            {
                _writerDone = true;
                Monitor.Pulse(_publishLock);
            }
        }
    }

    /// <summary>
    /// Answers the waiters of committed batches, in commit order, then copies each batch to the sinks and publishes
    /// its heads for checkpoints. Waking a waiter queues work on the thread pool (and may wake a worker), which the
    /// writer no longer pays for between two transactions.
    /// </summary>
    private void PublishLoop()
    {
        var batches = new List<Committed>();
        while (true)
        {
            lock (_publishLock)
            {
                while (_committedBatches.Count == 0 && !_writerDone)
                {
                    Monitor.Wait(_publishLock);
                }

                if (_committedBatches.Count == 0)
                {
                    return;
                }

                batches.AddRange(_committedBatches);
                _committedBatches.Clear();
            }

            foreach (var batch in batches)
            {
                Publish(batch.Batch, batch.Records, batch.Touched);
            }

            batches.Clear();
        }
    }

    private void WriteBatches()
    {
        var batch = new List<Pending>(_maxBatchSize);
        var reader = _queue.Reader;
        while (true)
        {
            while (batch.Count < _maxBatchSize && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (batch.Count == 0)
            {
                if (reader.Completion.IsCompleted)
                {
                    return;
                }

                // Reset, then look again: an enqueue between the last TryRead and the Reset set the event before it
                // was reset, but its item is visible to this second look.
                _wake.Reset();
                if (!reader.TryPeek(out _) && !reader.Completion.IsCompleted)
                {
                    _wake.Wait();
                }

                continue;
            }

            try
            {
                // Synchronous on this thread: the SQLite store completes synchronously, and a store that does real
                // I/O (PostgreSQL) blocks only this thread, never a pool thread.
                CommitAsync(batch).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                // CommitAsync handles store failures itself; this is the last line that keeps the loop (and every
                // later caller) alive.
                foreach (var pending in batch)
                {
                    pending.TrySetException(new AuditUnavailableException("The audit record could not be written.", ex));
                }
            }

            batch.Clear();
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        var now = _time.GetUtcNow();
        if (now < _lastTime)
        {
            // Keep time non-decreasing along the log so "since" and id order agree even if the clock steps back.
            now = _lastTime;
        }

        _lastTime = now;
        var touched = new Dictionary<string, AuditChainHead>(StringComparer.Ordinal);
        var records = new AuditRecord[batch.Count];
        Exception? failure = null;
        for (var attempt = 1; attempt <= _appendAttempts; attempt++)
        {
            try
            {
                touched.Clear();
                for (var i = 0; i < batch.Count; i++)
                {
                    var tenant = batch[i].Entry.Tenant;
                    if (!touched.TryGetValue(tenant, out var head) && !_heads.TryGetValue(tenant, out head))
                    {
                        head = await _store.GetHeadAsync(tenant, _abort.Token).ConfigureAwait(false);
                    }

                    var record = AuditRecord.Chain(batch[i].Entry, head, now);
                    records[i] = record;
                    touched[tenant] = record.AsHead;
                }

                await _store.AppendAsync(records, _abort.Token).ConfigureAwait(false);
                failure = null;
                break;
            }
            catch (Exception ex)
            {
                failure = ex;
                // Whether the failed transaction landed is unknown; only the store can say where each chain ends.
                _heads.Clear();
                LogAppendFailed(_logger, ex, batch.Count, attempt, _appendAttempts);
            }
        }

        if (failure is not null)
        {
            Fail(batch, failure);
            return;
        }

        foreach (var (tenant, head) in touched)
        {
            _heads[tenant] = head;
        }

        lock (_publishLock)
        {
            _committedBatches.Add(new Committed(batch.ToArray(), records, touched));
            Monitor.Pulse(_publishLock);
        }
    }

    private static void Fail(IEnumerable<Pending> batch, Exception failure)
    {
        foreach (var pending in batch)
        {
            pending.TrySetException(new AuditUnavailableException("The audit record could not be written; the operation was not performed.", failure));
            // A waiter that was cancelled no longer observes its task; mark the exception seen.
            _ = pending.Task.Exception;
        }
    }

    /// <summary>The batch is durable: answer its waiters, then copy it to the sinks and publish its heads for checkpoints.</summary>
    private void Publish(IEnumerable<Pending> batch, AuditRecord[] records, Dictionary<string, AuditChainHead> touched)
    {
        foreach (var pending in batch)
        {
            pending.TrySetResult();
        }

        if (_sinkQueue is not null && !_sinkQueue.Writer.TryWrite(new SinkItem(records, null)))
        {
            LogSinkDropped(_logger, records.Length);
        }

        foreach (var (tenant, head) in touched)
        {
            _committed[tenant] = head;
        }
    }

    private async Task SinkLoopAsync()
    {
        await foreach (var item in _sinkQueue!.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            foreach (var sink in _sinks)
            {
                try
                {
                    if (item.Records is { } records)
                    {
                        await sink.WriteAsync(records, _abort.Token).ConfigureAwait(false);
                    }
                    else if (sink is IAuditCheckpointSink checkpoints)
                    {
                        await checkpoints.WriteCheckpointAsync(item.Checkpoint!, _abort.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception ex)
                {
                    LogSinkFailed(_logger, ex, sink.GetType().Name, item.Records?.Length ?? 1);
                }
            }
        }
    }

    private static void Validate(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.Tenant, nameof(entry.Tenant));
        ArgumentException.ThrowIfNullOrEmpty(entry.Action, nameof(entry.Action));
        ArgumentNullException.ThrowIfNull(entry.Target, nameof(entry.Target));
        ArgumentException.ThrowIfNullOrEmpty(entry.Outcome, nameof(entry.Outcome));
        ArgumentNullException.ThrowIfNull(entry.RequestId, nameof(entry.RequestId));
        if (entry.ValueHmac is not null && !AuditValueHmac.IsWellFormed(entry.ValueHmac))
        {
            // Guards against a caller passing the value itself where its HMAC belongs.
            throw new ArgumentException("ValueHmac must be the 64-character lowercase hex output of AuditValueHmac.", nameof(entry));
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Audit append of {Count} records failed (attempt {Attempt} of {Attempts}).")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int count, int attempt, int attempts);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Audit queue is full; a request was refused.")]
    private static partial void LogQueueFull(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Audit sink {Sink} failed to write {Count} committed records; the store holds them.")]
    private static partial void LogSinkFailed(ILogger logger, Exception exception, string sink, int count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Audit sink queue is full; {Count} committed records were not copied to the sinks.")]
    private static partial void LogSinkDropped(ILogger logger, int count);

    /// <summary>A batch the writer committed, waiting for the publishing thread.</summary>
    private sealed record Committed(Pending[] Batch, AuditRecord[] Records, Dictionary<string, AuditChainHead> Touched);

    /// <summary>One item for the sinks: a committed batch or a checkpoint.</summary>
    private readonly record struct SinkItem(AuditRecord[]? Records, AuditCheckpoint? Checkpoint);

    private sealed class Pending(AuditEntry entry) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public AuditEntry Entry { get; } = entry;
    }
}
