namespace Broker.Audit;

public static class AuditOutcomes
{
    public const string Allowed = "allowed";
    public const string Denied = "denied";
    public const string Error = "error";
}
