using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Broker.Client.AI.Benchmarks.KeyAdapterBenchmarks).Assembly).Run(args);
