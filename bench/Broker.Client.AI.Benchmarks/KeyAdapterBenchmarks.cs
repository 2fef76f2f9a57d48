using System.ClientModel;
using System.ClientModel.Primitives;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Broker.Client.AI.Benchmarks;

/// <summary>
/// One chat call through <c>OpenAIClient</c> + <c>AsIChatClient()</c> over an in-memory transport: a fixed
/// <see cref="ApiKeyCredential"/> against the one from <see cref="BrokerApiKeyCredentialExtensions.GetApiKeyCredential"/>.
/// </summary>
[MemoryDiagnoser]
public class KeyAdapterBenchmarks
{
    private const string Completion = """{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-test","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";

    private BrokerClient _broker = null!;
    private IChatClient _fixedKey = null!;
    private IChatClient _brokerKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        _broker = BenchBroker.Start();
        _fixedKey = Chat(new ApiKeyCredential(BenchBroker.OpenAIKey));
        _brokerKey = Chat(_broker.GetApiKeyCredential("openai_key"));
    }

    [GlobalCleanup]
    public void Cleanup() => _broker.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> FixedKey() => _fixedKey.GetResponseAsync("ping");

    [Benchmark]
    public Task<ChatResponse> BrokerKey() => _brokerKey.GetResponseAsync("ping");

    private static IChatClient Chat(ApiKeyCredential credential)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri("http://model.invalid/v1/"),
            Transport = new HttpClientPipelineTransport(new HttpClient(new BenchBroker.CannedHandler(Completion))),
        };
        return new OpenAIClient(credential, options).GetChatClient("gpt-test").AsIChatClient();
    }
}
