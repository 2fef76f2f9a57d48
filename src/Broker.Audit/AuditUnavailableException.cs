using Broker.Core;

namespace Broker.Audit;

/// <summary>The audit record could not be made durable: the operation must not proceed.</summary>
public sealed class AuditUnavailableException(string message, Exception? inner = null)
    : BrokerOperationException(BrokerErrorKind.Unavailable, message, inner);
