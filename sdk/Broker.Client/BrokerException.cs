namespace Broker.Client;

/// <summary>The broker refused a request, or could not be reached (<see cref="Status"/> 0).</summary>
/// <remarks>The message comes from the problem's <c>detail</c> and never holds a secret value or key.</remarks>
public class BrokerException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong; must not hold a secret.</param>
    /// <param name="status">The HTTP status, 0 when there was no answer.</param>
    /// <param name="errorCode">The problem <c>type</c>, when the broker sent one.</param>
    /// <param name="inner">The underlying failure.</param>
    public BrokerException(string message, int status = 0, string? errorCode = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status of the broker's answer; 0 when there was none (unreachable, timed out, cache miss).</summary>
    public int Status { get; }

    /// <summary>The problem <c>type</c> the broker answered with, if any.</summary>
    public string? ErrorCode { get; }
}
