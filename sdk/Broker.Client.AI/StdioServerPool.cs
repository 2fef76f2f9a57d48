using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;

namespace Broker.Client.AI;

/// <summary>
/// Stdio MCP server processes keyed by the values in their environment: a call runs in a process started with the
/// values it needs now, so a rotation or another user's values start a new process; idle ones beyond
/// <see cref="BrokerMcpToolOptions.MaxProcesses"/> are stopped, least recently used first. A process that ends on its own
/// (a crash, killed) leaves the pool as soon as its session completes, so the next call starts a new one instead of
/// failing on a dead pipe until it is evicted; a call in flight when it died fails (it is not repeated: the tool may
/// have run).
/// </summary>
internal sealed class StdioServerPool(StdioClientTransportOptions transport, int maxProcesses, ILoggerFactory? loggerFactory) : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _clock;
    private bool _disposed;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public async Task<T> UseAsync<T>(IReadOnlyDictionary<string, string> environment, Func<McpClient, Task<T>> call, CancellationToken cancellationToken)
    {
        var key = Fingerprint(environment);
        for (var attempt = 1; ; attempt++)
        {
            var (entry, evicted) = Lease(key, environment);
            await StopAllAsync(evicted).ConfigureAwait(false);
            McpClient client;
            try
            {
                client = await entry.Client.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Release(key, entry, drop: entry.Client.IsFaulted);
                throw;
            }

            // Ended before this call was sent (its watcher has not removed it yet): nothing ran, so start another once.
            if (client.Completion.IsCompleted && attempt == 1)
            {
                Release(key, entry, drop: true);
                continue;
            }

            try
            {
                return await call(client).ConfigureAwait(false);
            }
            finally
            {
                Release(key, entry, drop: client.Completion.IsCompleted);
            }
        }
    }

    private (Entry Entry, List<Entry>? Evicted) Lease(string key, IReadOnlyDictionary<string, string> environment)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            List<Entry>? evicted = null;
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry(StartAsync(environment));
                _entries[key] = entry;
                evicted = EvictIdle();
                _ = RemoveWhenEndedAsync(key, entry);
            }

            entry.Leases++;
            entry.LastUsed = ++_clock;
            return (entry, evicted);
        }
    }

    private void Release(string key, Entry entry, bool drop)
    {
        lock (_gate)
        {
            entry.Leases--;
            if (drop && _entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
            {
                _entries.Remove(key);
            }
        }
    }

    /// <summary>Takes a process out of the pool once its session completes (it exited, or was stopped), and frees what it held.</summary>
    private async Task RemoveWhenEndedAsync(string key, Entry entry)
    {
        McpClient client;
        try
        {
            client = await entry.Client.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return; // Never started: the call that waited for it drops it.
        }

        await client.Completion.ConfigureAwait(false);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
            {
                _entries.Remove(key);
            }
        }

        // Whoever took it out (this watcher, a call that found it ended, an eviction), its ended session is freed here;
        // disposing twice is harmless.
        await StopAllAsync([entry]).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        List<Entry> all;
        lock (_gate)
        {
            _disposed = true;
            all = _entries.Values.ToList();
            _entries.Clear();
        }

        await StopAllAsync(all).ConfigureAwait(false);
    }

    private List<Entry>? EvictIdle()
    {
        List<Entry>? evicted = null;
        while (_entries.Count > maxProcesses)
        {
            var idle = _entries.Where(kv => kv.Value.Leases == 0).OrderBy(kv => kv.Value.LastUsed).Select(kv => kv.Key).FirstOrDefault();
            if (idle is null)
            {
                break;
            }

            (evicted ??= new()).Add(_entries[idle]);
            _entries.Remove(idle);
        }

        return evicted;
    }

    private async Task<McpClient> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var env = new Dictionary<string, string?>(transport.EnvironmentVariables ?? new Dictionary<string, string?>(), StringComparer.Ordinal);
        foreach (var (name, value) in environment)
        {
            env[name] = value;
        }

        // The values go to the child's environment only: never its command line, which other local users can read.
        var options = new StdioClientTransportOptions
        {
            Command = transport.Command,
            Arguments = transport.Arguments,
            Name = transport.Name,
            WorkingDirectory = transport.WorkingDirectory,
            InheritEnvironmentVariables = transport.InheritEnvironmentVariables,
            EnvironmentVariables = env,
            ShutdownTimeout = transport.ShutdownTimeout,
            StandardErrorLines = transport.StandardErrorLines,
        };
        return await McpClient.CreateAsync(new StdioClientTransport(options, loggerFactory), loggerFactory: loggerFactory).ConfigureAwait(false);
    }

    private static async Task StopAllAsync(List<Entry>? entries)
    {
        foreach (var entry in entries ?? [])
        {
            try
            {
                await (await entry.Client.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A process that failed to start or already died has nothing left to stop.
            }
        }
    }

    private static string Fingerprint(IReadOnlyDictionary<string, string> environment)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in environment.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append('\0').Append(value).Append('\0');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private sealed class Entry(Task<McpClient> client)
    {
        public Task<McpClient> Client { get; } = client;

        public int Leases { get; set; }

        public long LastUsed { get; set; }
    }
}
