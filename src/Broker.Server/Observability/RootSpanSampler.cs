using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Broker.Server.Observability;

/// <summary>
/// Decides for spans without a parent (under <see cref="ParentBasedSampler"/>, spans with one follow their parent):
/// every root span but a client one. A client span without a parent is background work talking to the store (the
/// revocation follower reads PostgreSQL every 150 ms, the replica registry heartbeats); traced, it would bury the
/// requests' traces under a root span per poll. Store calls made while serving a request are children of the
/// request's span and are kept.
/// </summary>
internal sealed class RootSpanSampler : Sampler
{
    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        new(samplingParameters.Kind == ActivityKind.Client ? SamplingDecision.Drop : SamplingDecision.RecordAndSample);
}
