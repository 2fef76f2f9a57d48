using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Broker.Server.Observability;

/// <summary>
/// The broker's own ActivitySource and Meter (both "Broker.Server"). Tags carry actions, outcomes, reasons and
/// route names only: never a value, a key, or a key prefix.
/// </summary>
public sealed class ServerTelemetry : IDisposable
{
    public const string Name = "Broker.Server";

    public ServerTelemetry(IMeterFactory meters)
    {
        Meter = meters.Create(Name);
        Decisions = Meter.CreateCounter<long>("broker.decisions", description: "Audited decisions by action and outcome.");
        Denials = Meter.CreateCounter<long>("broker.requests.denied", description: "Requests refused with 401, 403 or 429, by status and reason.");
        Mints = Meter.CreateCounter<long>("broker.mints", description: "Just-in-time credentials minted, by kind (token, sts).");
        Revocations = Meter.CreateCounter<long>("broker.keys.revocations", description: "Inbound keys revoked (revoke, revoke-leaked).");
    }

    public static readonly ActivitySource Source = new(Name);

    public Meter Meter { get; }

    public Counter<long> Decisions { get; }

    public Counter<long> Denials { get; }

    public Counter<long> Mints { get; }

    public Counter<long> Revocations { get; }

    public void ObserveLongPolls(Func<int> waiting) =>
        Meter.CreateObservableGauge("broker.longpoll.waiters", waiting, description: "Agent long-polls waiting for a change.");

    public void Dispose() => Meter.Dispose();
}
