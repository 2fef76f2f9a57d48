namespace Broker.Core;

/// <summary>Invalid input (400), with the offending fields. Messages never quote a secret value.</summary>
public sealed class ValidationException : BrokerOperationException
{
    public ValidationException(string field, string message)
        : this(new Dictionary<string, string[]> { [field] = [message] })
    {
    }

    public ValidationException(IDictionary<string, string[]> errors)
        : base(BrokerErrorKind.Validation, "One or more fields are invalid.")
    {
        Errors = new Dictionary<string, string[]>(errors);
    }

    public IReadOnlyDictionary<string, string[]> Errors { get; }
}
