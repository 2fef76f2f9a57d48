namespace Broker.Credentials;

public static class CredentialKinds
{
    public const string Generic = "generic";
    public const string Aws = "aws";

    public static bool IsKnown(string kind) => kind is Generic or Aws;
}
