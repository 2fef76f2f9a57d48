namespace Broker.Client;

/// <summary>A credential is not in the cache (<see cref="BrokerException.Status"/> 0) or the broker said it does not exist (404).</summary>
public class CredentialNotFoundException : BrokerException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="name">The credential's name.</param>
    /// <param name="status">404 when the broker said so; 0 for a cache miss.</param>
    public CredentialNotFoundException(string name, int status = 0)
        : this(name, status, $"Credential '{name}' is not available: the broker does not serve it to this key, or it does not exist.")
    {
    }

    internal CredentialNotFoundException(string name, int status, string message, string? errorCode = null)
        : base(message, status, errorCode)
    {
        Name = name;
    }

    /// <summary>The credential's name (never its value).</summary>
    public string Name { get; }
}
