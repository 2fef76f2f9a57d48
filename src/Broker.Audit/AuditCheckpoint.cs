using System.Text.Json.Serialization;

namespace Broker.Audit;

/// <summary>
/// A signed statement that a tenant's chain held record <see cref="Id"/> with hash <see cref="Hash"/> at
/// <see cref="Time"/>: the body of <c>GET /v1/audit/head</c>, a line of the checkpoint file, and what
/// <c>POST /v1/audit/verify</c> takes back. <see cref="Signature"/> is a compact JWS (ES256, header <c>kid</c>) whose
/// payload is the JSON object <c>{tenant, id, hash, time}</c> (see <see cref="AuditCheckpointSigner"/>); id 0 with the
/// genesis hash is the head of an empty chain. Serialised, it starts with <c>"type":"checkpoint"</c>, which marks a
/// checkpoint line among the record lines of a JSONL file (records carry no <c>type</c>); it is ignored when read.
/// </summary>
public sealed record AuditCheckpoint(
    string Tenant,
    long Id,
    string Hash,
    [property: JsonConverter(typeof(AuditTimeJsonConverter))] DateTimeOffset Time,
    string Kid,
    string Signature)
{
    /// <summary>The value of <c>type</c> that marks a checkpoint line among the records of a JSONL file.</summary>
    public const string LineType = "checkpoint";

    [JsonPropertyOrder(-1)]
    public string Type => LineType;

    /// <summary>The head this checkpoint vouches for.</summary>
    [JsonIgnore]
    public AuditChainHead Head => new(Id, Hash);
}
