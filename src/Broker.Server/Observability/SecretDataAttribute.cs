using Microsoft.Extensions.Compliance.Classification;

namespace Broker.Server.Observability;

/// <summary>Marks a logged parameter or property as <see cref="BrokerTaxonomy.Secret"/>: it is erased before any sink.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.ReturnValue)]
public sealed class SecretDataAttribute() : DataClassificationAttribute(BrokerTaxonomy.Secret);
