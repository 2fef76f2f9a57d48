using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Broker.Audit.Benchmarks.AuditAppendBenchmarks).Assembly).Run(args);
