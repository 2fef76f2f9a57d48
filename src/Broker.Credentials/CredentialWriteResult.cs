namespace Broker.Credentials;

public enum CredentialWriteOutcome
{
    Created,
    NewVersion,
    Unchanged,
    PreconditionFailed,
}

public sealed record CredentialWriteResult(CredentialWriteOutcome Outcome, CredentialSummary? Credential);
