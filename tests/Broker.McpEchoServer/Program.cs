using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A stdio MCP server for Broker.Client.AI.Tests: its tools report what the process received in its environment.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.ClearProviders(); // stdout carries the protocol
builder.Services.AddMcpServer().WithStdioServerTransport().WithTools<EnvironmentTools>();
await builder.Build().RunAsync();
