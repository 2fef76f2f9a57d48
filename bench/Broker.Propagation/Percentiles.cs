using System.Globalization;

namespace Broker.Propagation;

internal static class Percentiles
{
    /// <summary>Nearest-rank percentile of an ascending array.</summary>
    public static double Of(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
}
