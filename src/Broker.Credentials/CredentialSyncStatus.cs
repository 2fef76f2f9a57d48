namespace Broker.Credentials;

/// <summary>The <c>syncStatus</c> of a sourced credential.</summary>
public static class CredentialSyncStatus
{
    public const string Ok = "ok";
    public const string Error = "error";
}
