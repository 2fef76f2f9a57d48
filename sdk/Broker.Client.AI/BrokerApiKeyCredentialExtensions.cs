using System.ClientModel;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Broker.Client.AI;

/// <summary>
/// Provider keys that follow rotations: a System.ClientModel <see cref="ApiKeyCredential"/> kept equal to the broker
/// cache's current value, for the OpenAI client (and any other System.ClientModel client) built once and kept for the
/// life of the process.
/// </summary>
public static class BrokerApiKeyCredentialExtensions
{
    // One credential per (client, name): repeated calls share it and subscribe once, and it lives as long as the client.
    private static readonly ConditionalWeakTable<BrokerClient, ConcurrentDictionary<string, Lazy<ApiKeyCredential>>> Credentials = new();

    /// <summary>
    /// Returns an <see cref="ApiKeyCredential"/> holding the current value of <paramref name="credentialName"/>, updated
    /// (<see cref="ApiKeyCredential.Update"/>) on every rotation the client applies, so a long-lived
    /// <c>OpenAIClient</c> built with it sends the new key on its next request. The same instance is returned for the
    /// same client and name.
    /// </summary>
    /// <param name="client">A started <see cref="BrokerClient"/>.</param>
    /// <param name="credentialName">The credential's name (e.g. <c>openai_key</c>).</param>
    /// <returns>The credential.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="credentialName"/> is null or empty.</exception>
    /// <exception cref="CredentialNotFoundException">The client's cache does not hold the credential (not started, or the key may not read it).</exception>
    /// <remarks>
    /// When the credential is removed from the broker, the last value is kept (the provider decides whether it still
    /// works), as the cache does for every failure.
    /// </remarks>
    public static ApiKeyCredential GetApiKeyCredential(this BrokerClient client, string credentialName)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(credentialName);
        var perClient = Credentials.GetValue(client, _ => new ConcurrentDictionary<string, Lazy<ApiKeyCredential>>(StringComparer.Ordinal));
        var lazy = perClient.GetOrAdd(credentialName, name => new Lazy<ApiKeyCredential>(() => Create(client, name)));
        try
        {
            return lazy.Value;
        }
        catch (CredentialNotFoundException)
        {
            // Not cached as a failure: the next call after the credential appears succeeds.
            perClient.TryRemove(KeyValuePair.Create(credentialName, lazy));
            throw;
        }
    }

    private static ApiKeyCredential Create(BrokerClient client, string name)
    {
        // Subscribe before the first read, so a rotation applied between the two is not missed.
        var follower = new Follower(client, name);
        client.CredentialsChanged += follower.OnChanged;
        try
        {
            follower.Credential = new ApiKeyCredential(client.GetCredential(name).Value);
            follower.Refresh();
            return follower.Credential;
        }
        catch
        {
            client.CredentialsChanged -= follower.OnChanged;
            throw;
        }
    }

    private sealed class Follower(BrokerClient client, string name)
    {
        private readonly object _gate = new();
        private string? _applied;

        public ApiKeyCredential? Credential { get; set; }

        public void OnChanged(object? sender, CredentialsChangedEventArgs e)
        {
            foreach (var changed in e.Changed)
            {
                if (string.Equals(changed, name, StringComparison.Ordinal))
                {
                    Refresh();
                    return;
                }
            }
        }

        public void Refresh()
        {
            // The event and the first read may race: whoever runs sets the cache's value of now, under one lock.
            lock (_gate)
            {
                if (Credential is not null && client.TryGetCredential(name, out var current) && !ReferenceEquals(current.Value, _applied))
                {
                    Credential.Update(current.Value);
                    _applied = current.Value;
                }
            }
        }
    }
}
