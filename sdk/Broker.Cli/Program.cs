using Broker.Cli;

return await BrokerCli.RunAsync(args, CliHost.FromProcess()).ConfigureAwait(false);
