using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Broker.Client.Benchmarks.CacheBenchmarks).Assembly).Run(args);
