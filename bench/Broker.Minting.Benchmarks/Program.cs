using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Broker.Minting.Benchmarks.MintBenchmarks).Assembly).Run(args);
