using System.Globalization;

namespace Broker.Propagation;

/// <summary>
/// Usage: <c>Broker.Propagation [all|propagation|revocation|idle|fleet] [--clients 50] [--rotations 100] [--idle-clients 1000] [--window 10] [--fleet-polls 10000]</c>.
/// Run in Release: <c>dotnet run -c Release --project bench/Broker.Propagation -- all</c>.
/// </summary>
/// <remarks>Not named Program: that is the broker's entry point, which this tool hosts.</remarks>
internal static class Bench
{
    public static async Task Main(string[] args)
    {
        var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
        int Option(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }

#if DEBUG
        Console.WriteLine("warning: a Debug build; measure with -c Release");
#endif
        Console.WriteLine($"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        if (mode is "all" or "propagation")
        {
            await PropagationBenchmark.RunAsync(Option("--clients", 50), Option("--rotations", 100));
        }

        if (mode is "all" or "revocation")
        {
            await RevocationBenchmark.RunAsync(Option("--trials", 50));
        }

        if (mode is "all" or "idle")
        {
            await IdleLongPollBenchmark.RunAsync(Option("--idle-clients", 1000), TimeSpan.FromSeconds(Option("--window", 10)));
        }

        if (mode is "all" or "fleet")
        {
            await FleetLongPollBenchmark.RunAsync(Option("--fleet-polls", 10_000), TimeSpan.FromSeconds(Option("--window", 10)));
        }
    }
}
