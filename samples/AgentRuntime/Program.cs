using AgentRuntime;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0"); // the fake model endpoint, loopback only

// Resolves $<credentials.openai_key> in appsettings.json and keeps it fresh (Broker:ApiKey comes from the environment: Broker__ApiKey).
builder.Configuration.AddBrokerCredentials(options => builder.Configuration.GetSection("Broker").Bind(options));
builder.Services.AddBrokerClient(builder.Configuration); // the same client: one long-poll per process
builder.Services.Configure<ModelOptions>(builder.Configuration.GetSection("Model"));
builder.Services.AddHttpClient("model");
builder.Services.AddHostedService<AgentLoop>();

var app = builder.Build();
app.MapFakeModelApi();
app.Run();
