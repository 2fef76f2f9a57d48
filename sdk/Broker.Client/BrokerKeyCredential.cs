namespace Broker.Client;

/// <summary>
/// The agent key a <see cref="BrokerClient"/> authenticates with, replaceable while the client runs (like
/// <c>Azure.AzureKeyCredential</c>): after a rotation, <see cref="Update"/> it and the next request uses the new key.
/// </summary>
/// <remarks>Thread-safe. <see cref="ToString"/> never shows the key.</remarks>
public sealed class BrokerKeyCredential
{
    private string _key;

    /// <summary>Creates the credential.</summary>
    /// <param name="key">The agent key (<c>brk_…</c>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty or white space.</exception>
    public BrokerKeyCredential(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        _key = key;
    }

    /// <summary>The key requests are sent with now.</summary>
    internal string Key => Volatile.Read(ref _key);

    /// <summary>Replaces the key; every request that starts after this call uses <paramref name="key"/>.</summary>
    /// <param name="key">The new agent key, e.g. the one <c>POST /v1/keys/{id}/rotate</c> returned.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty or white space.</exception>
    public void Update(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        Volatile.Write(ref _key, key);
    }

    /// <summary>Names the type, never the key.</summary>
    /// <returns><c>BrokerKeyCredential { Key = *** }</c>.</returns>
    public override string ToString() => "BrokerKeyCredential { Key = *** }";
}
