namespace Broker.Audit;

/// <summary>Who acted: the key id, name and role (all null for an unauthenticated request).</summary>
public sealed record AuditActor(string? KeyId, string? Name, string? Role)
{
    public static readonly AuditActor Anonymous = new(null, null, null);
}
