using System.Net.Http.Json;
using Broker.Client;
using Microsoft.Extensions.Options;

namespace AgentRuntime;

/// <summary>Calls the model with the key from IOptionsMonitor every few seconds and prints (redacted) which key version it used.</summary>
public sealed class AgentLoop(
    IOptionsMonitor<ModelOptions> options,
    BrokerClient broker,
    IHttpClientFactory httpClientFactory,
    Microsoft.AspNetCore.Hosting.Server.IServer server,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await WaitForStartAsync(stoppingToken);
        var address = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        var http = httpClientFactory.CreateClient("model");
        broker.CredentialsChanged += (_, e) => Console.WriteLine($"[{DateTime.Now:T}] broker pushed a change: updated [{string.Join(", ", e.Changed)}] removed [{string.Join(", ", e.Removed)}]");
        options.OnChange(_ => Console.WriteLine($"[{DateTime.Now:T}] configuration reloaded: Model:ApiKey now resolves to the new value"));

        while (!stoppingToken.IsCancellationRequested)
        {
            var current = options.CurrentValue;
            var version = broker.TryGetCredential("openai_key", out var credential) ? credential.Version : 0;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"{address}/fake-model/v1/chat/completions")
                {
                    Content = JsonContent.Create(new { model = "fake-gpt", messages = new[] { new { role = "user", content = "hi" } } }),
                };
                request.Headers.Authorization = new("Bearer", current.ApiKey);
                using var response = await http.SendAsync(request, stoppingToken);
                var body = await response.Content.ReadFromJsonAsync<ModelAnswer>(stoppingToken);

                // Never print the key itself: the broker's redactor turns it into [REDACTED:openai_key].
                Console.WriteLine($"[{DateTime.Now:T}] model answered {(int)response.StatusCode} using key {broker.Redactor.Redact(current.ApiKey)} version {version} (fingerprint {body?.KeyFingerprint})");
            }
            catch (HttpRequestException ex)
            {
                Console.WriteLine($"[{DateTime.Now:T}] model call failed: {broker.Redactor.Redact(ex.Message)}");
            }

            await Task.Delay(current.CallEvery, stoppingToken);
        }
    }

    private Task WaitForStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        return started.Task;
    }

    private sealed record ModelAnswer(string? Model, string? KeyFingerprint);
}
