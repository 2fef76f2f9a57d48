using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Broker.Client.AI;

/// <summary>The package's <see cref="Meter"/> and <see cref="ActivitySource"/>, both named <c>Broker.Client.AI</c>.</summary>
public static class BrokerAITelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Broker.Client.AI";

    /// <summary>The counter of values replaced by <c>[REDACTED:NAME]</c>, tagged <c>direction</c> (<c>to_model</c>, <c>from_model</c>, <c>tool_result</c>).</summary>
    public const string RedactionsCounter = "broker.client.ai.redactions";

    internal static readonly Meter Meter = new(Name);

    internal static readonly ActivitySource ActivitySource = new(Name);

    // Counts only: never a value, never a credential name.
    internal static readonly Counter<long> Redactions = Meter.CreateCounter<long>(RedactionsCounter, unit: "{value}", description: "Secret values replaced before they reached or left the model.");

    internal static void CountRedactions(string before, string after, string direction)
    {
        if (ReferenceEquals(before, after) || !Redactions.Enabled)
        {
            return;
        }

        var count = CountMarkers(after) - CountMarkers(before);
        if (count > 0)
        {
            Redactions.Add(count, new KeyValuePair<string, object?>("direction", direction));
        }
    }

    private static int CountMarkers(string text)
    {
        var count = 0;
        var index = 0;
        while ((index = text.IndexOf("[REDACTED:", index, StringComparison.Ordinal)) >= 0)
        {
            count++;
            index += 10;
        }

        return count;
    }
}
