using System.Text.Json.Serialization;

namespace Broker.Audit;

/// <summary>
/// One stored, hash-chained audit record: an <see cref="AuditEntry"/> plus what the writer assigned.
/// <para>
/// <see cref="Id"/> is a per-tenant sequence starting at 1 with no gaps: each tenant has its own chain, so a
/// missing id is a deleted record and <c>brokenAt</c> names a position in that tenant's chain.
/// (tenant, id) is the primary key, which is also what stops two writers from forking a chain.
/// </para>
/// <para>
/// <see cref="Hash"/> is <see cref="AuditChain.ComputeHash"/> over every other field, <see cref="PrevHash"/>
/// included; <see cref="PrevHash"/> is the hash of record <c>Id - 1</c> of the same tenant, or
/// <see cref="AuditChain.GenesisHash"/> for id 1. Both are lowercase hex SHA-256.
/// </para>
/// Serialised with System.Text.Json this is the contract's shape (<c>{id, time, tenant, actor: {keyId, name,
/// role}, action, target, outcome, reason?, requestId, prevHash, hash}</c>) plus the optional
/// <c>clientAddress</c>, <c>userAgent</c> and <c>valueHmac</c>.
/// </summary>
public sealed record AuditRecord(
    long Id,
    [property: JsonConverter(typeof(AuditTimeJsonConverter))] DateTimeOffset Time,
    string Tenant,
    AuditActor Actor,
    string Action,
    string Target,
    string Outcome,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    string RequestId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientAddress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserAgent,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ValueHmac,
    string PrevHash,
    string Hash)
{
    /// <summary>Chains <paramref name="entry"/> after <paramref name="head"/>: the next id, the time, the hash.</summary>
    public static AuditRecord Chain(AuditEntry entry, AuditChainHead head, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var unhashed = new AuditRecord(
            head.Id + 1,
            AuditTime.Normalize(time),
            entry.Tenant,
            entry.Actor ?? AuditActor.Anonymous,
            entry.Action,
            entry.Target,
            entry.Outcome,
            entry.Reason,
            entry.RequestId,
            entry.ClientAddress,
            entry.UserAgent,
            entry.ValueHmac,
            head.Hash,
            string.Empty);
        return unhashed with { Hash = AuditChain.ComputeHash(unhashed) };
    }

    /// <summary>The head a successor of this record chains to.</summary>
    [JsonIgnore]
    public AuditChainHead AsHead => new(Id, Hash);
}
