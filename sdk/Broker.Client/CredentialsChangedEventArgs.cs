namespace Broker.Client;

/// <summary>Names of the credentials one applied change set touched (never values).</summary>
public class CredentialsChangedEventArgs : EventArgs
{
    /// <summary>Creates the event arguments.</summary>
    /// <param name="changed">Names added or given a new version.</param>
    /// <param name="removed">Names removed.</param>
    /// <exception cref="ArgumentNullException">A list is null.</exception>
    public CredentialsChangedEventArgs(IReadOnlyList<string> changed, IReadOnlyList<string> removed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(removed);
        Changed = changed;
        Removed = removed;
    }

    /// <summary>Names added or given a new version.</summary>
    public IReadOnlyList<string> Changed { get; }

    /// <summary>Names removed.</summary>
    public IReadOnlyList<string> Removed { get; }
}
