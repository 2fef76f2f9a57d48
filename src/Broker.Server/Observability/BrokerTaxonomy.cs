using Microsoft.Extensions.Compliance.Classification;

namespace Broker.Server.Observability;

/// <summary>
/// The broker's data classifications for telemetry. Logging redaction is on (<see cref="ObservabilityExtensions"/>):
/// a <c>[LoggerMessage]</c> parameter or <c>[LogProperties]</c> member marked <see cref="SecretDataAttribute"/>
/// reaches no sink but as an empty string, and so does data of any classification without its own redactor.
/// </summary>
public static class BrokerTaxonomy
{
    public const string Name = "Broker";

    /// <summary>Credential values, presented keys, tokens: never shown, not even in part.</summary>
    public static DataClassification Secret { get; } = new(Name, nameof(Secret));
}
