namespace Broker.Audit.Tests;

internal static class Entries
{
    public static AuditEntry Read(string tenant, int n, string? keyId = "key-1", string? valueHmac = null) => new(
        tenant,
        new AuditActor(keyId, "agent-" + keyId, "agent"),
        AuditActions.CredentialRead,
        "db-password-" + n,
        AuditOutcomes.Allowed,
        null,
        "req-" + n,
        "10.0.0.1",
        "test/1.0",
        valueHmac);

    public static AuditEntry Denied(string tenant, int n) => new(
        tenant, AuditActor.Anonymous, AuditActions.RequestDenied, "/v1/keys", AuditOutcomes.Denied, "unauthenticated", "req-d" + n);
}
