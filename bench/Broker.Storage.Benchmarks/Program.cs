using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Broker.Storage.Benchmarks.CredentialReadBenchmarks).Assembly).Run(args);
