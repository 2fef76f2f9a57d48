using System.Text.Json.Serialization;

namespace Broker.Audit;

/// <summary>
/// The answer of <c>GET</c> and <c>POST /v1/audit/verify</c>: <c>{valid, count, brokenAt?, checkpoints?, reason?}</c>.
/// <see cref="BrokenAt"/> is the id of the first record that fails (for a checkpoint the stored chain no longer
/// matches: the first missing id after a cut tail, or the checkpoint's id for a rewritten chain).
/// <see cref="Checkpoints"/> is how many checkpoints were checked (absent when none were asked for) and
/// <see cref="Reason"/> says which check of a checkpoint failed: <c>checkpoint_missing</c> (the chain ends before it),
/// <c>checkpoint_mismatch</c> (the record there has another hash), <c>checkpoint_signature</c> (the signature does
/// not verify or does not sign these fields), <c>checkpoint_unknown_key</c> (no audit key has its kid),
/// <c>checkpoint_tenant</c> (it is another tenant's); after retention pruned the chain, <c>anchor_signature</c> (the
/// stored anchor is not signed by an audit key over its fields) and <c>anchor_unrecorded</c> (no <c>audit.prune</c>
/// record names it). Absent when only the chain itself broke.
/// </summary>
public sealed record AuditVerification(
    bool Valid,
    long Count,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? BrokenAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Checkpoints = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);
