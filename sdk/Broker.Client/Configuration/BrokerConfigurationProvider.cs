using Broker.Client.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Broker.Client;

/// <summary>
/// Serves each credential the agent may read as <c>Credentials:NAME</c>, and the resolved form of every
/// earlier configuration value that holds a <c>$&lt;credentials.NAME&gt;</c> placeholder.
/// </summary>
/// <remarks>
/// The first load starts the client synchronously (bounded by <see cref="BrokerClientOptions.StartTimeout"/>).
/// Later reloads follow <see cref="BrokerClient.CredentialsChanged"/> and changes of the earlier sources; the
/// reload token fires only when the data changed, and a reload that fails keeps the last good data and logs why.
/// </remarks>
public class BrokerConfigurationProvider : ConfigurationProvider, IDisposable
{
    /// <summary>The configuration section credentials are served under.</summary>
    public const string CredentialsSection = "Credentials";

    private readonly BrokerConfigurationSource _source;
    private readonly IConfigurationRoot _preceding;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private IDisposable? _precedingSubscription;
    private bool _started;
    private bool _disposed;

    internal BrokerConfigurationProvider(BrokerConfigurationSource source, BrokerClient client, IConfigurationRoot preceding)
    {
        _source = source;
        Client = client;
        _preceding = preceding;
        _logger = client.Logging.CreateLogger<BrokerConfigurationProvider>();
    }

    /// <summary>The client this provider reads from; <c>AddBrokerClient(configuration)</c> reuses it.</summary>
    public BrokerClient Client { get; }

    /// <summary>Loads the credentials: the first call starts the client; later calls re-read its cache.</summary>
    /// <exception cref="BrokerException">The first load could not reach the broker within the start timeout and there is no disk cache, or the key was refused.</exception>
    /// <exception cref="CredentialNotFoundException">A configuration value names a credential the broker does not serve.</exception>
    public override void Load()
    {
        lock (_gate)
        {
            if (!_started)
            {
                // Sync over async on the thread pool: configuration loads are synchronous by design.
                Task.Run(() => Client.StartAsync()).GetAwaiter().GetResult();
                Data = Compute();
                Client.CredentialsChanged += OnCredentialsChanged;
                _precedingSubscription = ChangeToken.OnChange(_preceding.GetReloadToken, () => Refresh());
                _started = true;
                return;
            }
        }

        Refresh();
    }

    /// <summary>Stops following changes; disposes the client when this is the source's latest provider.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Recomputes the data from the client's cache; fires the reload token only when it changed. Failures keep the last good data.</summary>
    internal bool Refresh()
    {
        try
        {
            var next = Compute();
            lock (_gate)
            {
                if (_disposed || SameData(Data, next))
                {
                    return false;
                }

                Data = next;
            }

            OnReload();
            return true;
        }
        catch (Exception ex)
        {
            _logger.LogWarning("Broker configuration reload failed; keeping the last good values: {Error}", ex is BrokerException ? ex.Message : ex.GetType().Name);
            return false;
        }
    }

    /// <summary>Releases resources.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        Client.CredentialsChanged -= OnCredentialsChanged;
        _precedingSubscription?.Dispose();
        (_preceding as IDisposable)?.Dispose();
        if (_source.IsCurrent(this))
        {
            Client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private void OnCredentialsChanged(object? sender, CredentialsChangedEventArgs e) => Refresh();

    private Dictionary<string, string?> Compute()
    {
        var credentials = Client.Snapshot;
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in _preceding.AsEnumerable())
        {
            if (value is null || !Placeholders.ContainsPlaceholder(value))
            {
                continue;
            }

            if (!Placeholders.TryResolve(value, credentials, out var resolved, out var missing))
            {
                throw new CredentialNotFoundException(missing!, 0, $"Configuration key '{key}' holds placeholder '{Placeholders.Prefix}{missing}>', but the broker does not serve credential '{missing}' to this key.");
            }

            data[key] = resolved;
        }

        foreach (var credential in credentials.Values)
        {
            data[CredentialsSection + ConfigurationPath.KeyDelimiter + credential.Name] = credential.Value;
        }

        return data;
    }

    private static bool SameData(IDictionary<string, string?> a, Dictionary<string, string?> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (var (key, value) in b)
        {
            if (!a.TryGetValue(key, out var other) || !string.Equals(value, other, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
