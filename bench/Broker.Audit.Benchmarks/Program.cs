using BenchmarkDotNet.Running;

if (args is ["size", ..])
{
    await Broker.Audit.Benchmarks.AuditSizeOnDisk.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Broker.Audit.Benchmarks.AuditAppendBenchmarks).Assembly).Run(args);
