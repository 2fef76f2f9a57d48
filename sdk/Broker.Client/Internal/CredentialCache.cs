using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Broker.Client.Internal;

/// <summary>
/// The in-memory credentials: an immutable <see cref="CacheState"/> swapped whole, so reads take no lock and
/// allocate nothing, and change sets applied one at a time.
/// </summary>
internal sealed class CredentialCache
{
    private readonly object _applyLock = new();
    private readonly SecretRedactor _redactor;
    private readonly StripedCounter _hits;
    private readonly StripedCounter _misses;
    private volatile CacheState _state = CacheState.Empty;

    // _state.Credentials again, one indirection closer for the read path; written together with _state.
    private volatile FrozenDictionary<string, BrokerCredential> _credentials = CacheState.Empty.Credentials;

    public CredentialCache(SecretRedactor redactor, BrokerTelemetry telemetry)
    {
        _redactor = redactor;
        _hits = telemetry.CacheHits;
        _misses = telemetry.CacheMisses;
    }

    public CacheState State => _state;

    /// <summary>The read path of <see cref="BrokerClient.GetCredential"/>: memory only, no lock, no allocation.</summary>
    public bool TryGet(string? name, [NotNullWhen(true)] out BrokerCredential? credential)
    {
        if (name is not null && _credentials.TryGetValue(name, out credential))
        {
            _hits.Increment();
            return true;
        }

        _misses.Increment();
        credential = null;
        return false;
    }

    /// <summary>Resolves placeholders against one snapshot, so a concurrent change set never mixes two versions into one text.</summary>
    public bool TryResolve(string text, out string result, out string? missingName)
    {
        if (Placeholders.TryResolve(text, _credentials, out result, out missingName))
        {
            return true;
        }

        _misses.Increment();
        return false;
    }

    /// <summary>
    /// Applies one answer of the feed: a full load replaces everything (what is gone is reported removed), a delta
    /// adds, updates and removes. The redactor learns every value before the new state is visible.
    /// </summary>
    /// <returns>The new state with the names that changed and were removed (null lists when none).</returns>
    public CacheUpdate Apply(FeedDto feed, bool full, string? etag)
    {
        List<string>? changed = null;
        List<string>? removed = null;
        lock (_applyLock)
        {
            var old = _state;
            var map = full
                ? new Dictionary<string, BrokerCredential>(StringComparer.Ordinal)
                : new Dictionary<string, BrokerCredential>(old.Credentials, StringComparer.Ordinal);
            foreach (var dto in feed.Credentials ?? [])
            {
                var credential = dto.ToModel();
                if (!old.Credentials.TryGetValue(credential.Name, out var before) || before.Version != credential.Version || !SecretEquals(before.Value, credential.Value) || before.Kind != credential.Kind)
                {
                    (changed ??= new()).Add(credential.Name);
                }

                map[credential.Name] = credential;
            }

            foreach (var name in feed.Removed ?? [])
            {
                if (map.Remove(name))
                {
                    (removed ??= new()).Add(name);
                }
            }

            if (full)
            {
                foreach (var name in old.Credentials.Keys)
                {
                    if (!map.ContainsKey(name) && !(removed?.Contains(name) ?? false))
                    {
                        (removed ??= new()).Add(name);
                    }
                }
            }

            _redactor.AddRange(map.Values);
            var next = changed is null && removed is null && !full
                ? new CacheState(old.Credentials, feed.Cursor ?? old.Cursor, etag)
                : new CacheState(map.ToFrozenDictionary(StringComparer.Ordinal), feed.Cursor ?? old.Cursor, etag);
            Publish(next);
            return new CacheUpdate(next, changed, removed);
        }
    }

    /// <summary>Serves the disk cache's credentials until the broker answers.</summary>
    public void Restore(CacheState fromDisk)
    {
        lock (_applyLock)
        {
            _redactor.AddRange(fromDisk.Credentials.Values);
            Publish(fromDisk);
        }
    }

    private void Publish(CacheState state)
    {
        _credentials = state.Credentials;
        _state = state;
    }

    private static bool SecretEquals(string a, string b)
        => CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(a.AsSpan()), MemoryMarshal.AsBytes(b.AsSpan()));
}
