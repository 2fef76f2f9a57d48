namespace Broker.Audit;

/// <summary>The <c>action</c> vocabulary of the contract.</summary>
public static class AuditActions
{
    public const string CredentialWrite = "credential.write";
    public const string CredentialDelete = "credential.delete";
    public const string CredentialRead = "credential.read";

    /// <summary>A Key Vault-sourced credential synced (<c>POST /v1/credentials/{name}/sync</c>, or the background sync writing a new version).</summary>
    public const string CredentialSync = "credential.sync";
    public const string TokenMint = "token.mint";
    public const string StsMint = "sts.mint";
    public const string KeyCreate = "key.create";
    public const string KeyRotate = "key.rotate";
    public const string KeyRevoke = "key.revoke";
    public const string KeyRevokeLeaked = "key.revoke_leaked";
    public const string KeyUpdate = "key.update";
    public const string InboundVerify = "inbound.verify";
    public const string SigningKeyRotate = "signing_key.rotate";
    public const string SigningKeyRetire = "signing_key.retire";
    public const string RequestDenied = "request.denied";

    /// <summary><c>POST /v1/audit/value-reads</c>: an oracle ("was this value read?"), so its use is itself recorded.</summary>
    public const string AuditValueReads = "audit.value_reads";

    /// <summary><c>GET</c> and <c>POST /v1/audit/verify</c>: who checked the chain, and what they were told.</summary>
    public const string AuditVerify = "audit.verify";

    /// <summary>Retention archived and pruned the oldest records of a tenant's chain (recorded before anything is deleted).</summary>
    public const string AuditPrune = "audit.prune";

    /// <summary>A trusted issuer registered or removed (API.md v1.1 "Acting for a user").</summary>
    public const string IssuerCreate = "issuer.create";
    public const string IssuerDelete = "issuer.delete";

    /// <summary>A workload profile registered or removed, and a workload's token exchanged (API.md v1.1 "Workload login").</summary>
    public const string WorkloadProfileCreate = "workload_profile.create";
    public const string WorkloadProfileDelete = "workload_profile.delete";
    public const string WorkloadProfileUpdate = "workload_profile.update";
    public const string WorkloadLogin = "workload.login";
    /// <summary>Human approval (API.md v1.1 "Approvals"): a request held for a decision, the decisions, and the one use of an approval.</summary>
    public const string ApprovalRequest = "approval.request";
    public const string ApprovalApprove = "approval.approve";
    public const string ApprovalDeny = "approval.deny";
    public const string ApprovalConsume = "approval.consume";
    public const string ApprovalRelease = "approval.release";
    /// <summary>An approval expired undecided, or approved and never used (recorded once, by the broker itself).</summary>
    public const string ApprovalExpire = "approval.expire";
}
