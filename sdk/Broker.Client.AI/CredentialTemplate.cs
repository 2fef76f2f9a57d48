namespace Broker.Client.AI;

/// <summary>A header or environment value with <c>$&lt;credentials.NAME&gt;</c> placeholders, parsed once.</summary>
internal sealed class CredentialTemplate
{
    private const string Prefix = "$<credentials.";

    private readonly List<(string Text, string? Name)> _parts = new();

    public CredentialTemplate(string template)
    {
        var pos = 0;
        while (pos < template.Length)
        {
            var start = template.IndexOf(Prefix, pos, StringComparison.Ordinal);
            var end = start < 0 ? -1 : template.IndexOf('>', start + Prefix.Length);
            if (start < 0 || end < 0)
            {
                _parts.Add((template[pos..], null));
                break;
            }

            if (start > pos)
            {
                _parts.Add((template[pos..start], null));
            }

            var name = template[(start + Prefix.Length)..end];
            if (name.Length == 0)
            {
                _parts.Add((template[start..(end + 1)], null));
            }
            else
            {
                _parts.Add((string.Empty, name));
                Names.Add(name);
            }

            pos = end + 1;
        }
    }

    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>Fills the placeholders from <paramref name="values"/>, which holds every name in <see cref="Names"/>.</summary>
    public string Fill(IReadOnlyDictionary<string, string> values)
    {
        if (_parts.Count == 1 && _parts[0].Name is null)
        {
            return _parts[0].Text;
        }

        var sb = new System.Text.StringBuilder();
        foreach (var (text, name) in _parts)
        {
            sb.Append(name is null ? text : values[name]);
        }

        return sb.ToString();
    }
}
