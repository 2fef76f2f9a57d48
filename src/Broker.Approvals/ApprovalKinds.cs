namespace Broker.Approvals;

/// <summary>What an approval was asked for: the <c>kind</c> field.</summary>
public static class ApprovalKinds
{
    public const string Token = "token";
    public const string Sts = "sts";
    public const string Credential = "credential";
}
