using Broker.Server.Apis;
using Broker.Server.Commands;
using Broker.Server.Hosting;
using Broker.Server.Observability;
using Broker.Server.Security;
using Broker.Server.Startup;

if (await HealthcheckCommand.TryRunAsync(args))
{
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddBroker();
builder.AddBrokerObservability();

var app = builder.Build();
await app.InitializeBrokerAsync();
if (await RewrapCommand.TryRunAsync(app, args))
{
    return;
}

app.StartBrokerObservability();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseMiddleware<BodySizeLimitMiddleware>();
app.UseRouting();
app.UseMiddleware<KeyAuthenticationMiddleware>();
app.UseMiddleware<JsonBodyMiddleware>();

app.MapHealthApi();
app.MapCredentialsApi();
app.MapCredentialSourcesApi();
app.MapAgentCredentialsApi();
app.MapKeysApi();
app.MapInboundApi();
app.MapTokensApi();
app.MapIssuersApi();
app.MapWorkloadProfilesApi();
app.MapOAuthApi();
app.MapApprovalsApi();
app.MapAuditApi();
app.MapAuditProofApi();
app.MapOpenApi("/openapi/v1.json");
app.MapConsole();

await app.RunAsync();

public partial class Program;
