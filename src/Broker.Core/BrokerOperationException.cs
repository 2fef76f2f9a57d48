namespace Broker.Core;

/// <summary>What a domain operation refuses with; the host maps <see cref="Kind"/> to a status code.
/// Messages are shown to callers: they never hold a secret value or a presented key.</summary>
public class BrokerOperationException(BrokerErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public BrokerErrorKind Kind { get; } = kind;
}
