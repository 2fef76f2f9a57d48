namespace Broker.Client.AI;

/// <summary>Resolves the header and environment templates of <see cref="BrokerMcpToolOptions"/> for one call.</summary>
internal sealed class CredentialInjector
{
    private readonly BrokerClient _client;
    private readonly HashSet<string> _perUser;
    private readonly Dictionary<string, CredentialTemplate> _headers;
    private readonly Dictionary<string, CredentialTemplate> _environment;

    public CredentialInjector(BrokerClient client, BrokerMcpToolOptions options)
    {
        _client = client;
        _perUser = new HashSet<string>(options.PerUserCredentials, StringComparer.Ordinal);
        _headers = options.Headers.ToDictionary(kv => kv.Key, kv => new CredentialTemplate(kv.Value), StringComparer.OrdinalIgnoreCase);
        _environment = options.EnvironmentVariables.ToDictionary(kv => kv.Key, kv => new CredentialTemplate(kv.Value), StringComparer.Ordinal);
        Names = _headers.Values.Concat(_environment.Values).SelectMany(t => t.Names).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Every credential name the templates use (what the model may be told about: names, never values).</summary>
    public IReadOnlyList<string> Names { get; }

    public bool NeedsUser => Names.Any(_perUser.Contains);

    /// <summary>
    /// The values for one call: shared ones from the cache (no I/O), per-user ones from the broker for
    /// <paramref name="user"/> (each read audited there, naming the user). Without a user, templates that need a
    /// per-user value are left out when <paramref name="userRequired"/> is false, else the call fails.
    /// </summary>
    public async ValueTask<ResolvedCredentials> ResolveAsync(BrokerToolUser? user, bool userRequired, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            if (!_perUser.Contains(name))
            {
                values[name] = _client.GetCredential(name).Value;
            }
            else if (user is not null)
            {
                values[name] = (await ReadForUserAsync(name, user, cancellationToken).ConfigureAwait(false)).Value;
            }
            else if (userRequired)
            {
                throw new InvalidOperationException($"The tool needs the per-user credential '{name}' and no user was resolved for this call (BrokerMcpToolOptions.UserResolver).");
            }
        }

        return new ResolvedCredentials(Fill(_headers, values), Fill(_environment, values));
    }

    /// <summary>The shared-only headers, from the cache, for requests made outside a tool call (initialize, list).</summary>
    public IReadOnlyDictionary<string, string> SharedHeaders()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            if (!_perUser.Contains(name) && _client.TryGetCredential(name, out var credential))
            {
                values[name] = credential.Value;
            }
        }

        return Fill(_headers, values);
    }

    private Task<BrokerCredential> ReadForUserAsync(string name, BrokerToolUser user, CancellationToken cancellationToken)
        => _client.GetCredentialForSubjectAsync(name, user.Subject, user.Proof, cancellationToken);

    private static Dictionary<string, string> Fill(Dictionary<string, CredentialTemplate> templates, Dictionary<string, string> values)
    {
        var filled = new Dictionary<string, string>(templates.Comparer);
        foreach (var (key, template) in templates)
        {
            if (template.Names.All(values.ContainsKey))
            {
                filled[key] = template.Fill(values);
            }
        }

        return filled;
    }
}
