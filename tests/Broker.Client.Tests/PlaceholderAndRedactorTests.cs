namespace Broker.Client.Tests;

/// <summary>Placeholders and redaction of values served by a broker (the real server and the fake).</summary>
public abstract class PlaceholderAndRedactorTests : IAsyncLifetime
{
    private ITestBroker _broker = null!;
    private BrokerClient _client = null!;

    protected abstract Task<ITestBroker> StartBrokerAsync();

    public async Task InitializeAsync()
    {
        _broker = await StartBrokerAsync();
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-one-0001");
        await _broker.SetCredentialAsync("tricky", "x$<credentials.openai_key>y");
        await _broker.SetCredentialAsync("short", "abc");
        _client = new BrokerClient(_broker.Endpoint, _broker.AgentKey, TestUtil.FastOptions());
        await _client.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public void Resolve_ReplacesEveryPlaceholder()
        => Assert.Equal("a=sk-openai-version-one-0001;b=abc;c=sk-openai-version-one-0001", _client.Resolve("a=$<credentials.openai_key>;b=$<credentials.short>;c=$<credentials.openai_key>"));

    [Fact]
    public void Resolve_WithoutPlaceholders_ReturnsTheSameInstance()
    {
        var text = "nothing to see here, $ < credentials";
        Assert.Same(text, _client.Resolve(text));
    }

    [Fact]
    public void Resolve_NeverExpandsTextInsideAValue()
        => Assert.Equal("[x$<credentials.openai_key>y]", _client.Resolve("[$<credentials.tricky>]"));

    [Fact]
    public void Resolve_NestedLookingPlaceholder_ResolvesOnlyTheWellFormedInnerOne()
        => Assert.Equal("$<credentials.sk-openai-version-one-0001>", _client.Resolve("$<credentials.$<credentials.openai_key>>"));

    [Theory]
    [InlineData("$<credentials.openai_key")]
    [InlineData("$<credentials.>")]
    [InlineData("$<credentials.OpenAI_Key>")]
    [InlineData("$<credentials. openai_key>")]
    [InlineData("$<secrets.openai_key>")]
    [InlineData("<credentials.openai_key>")]
    public void Resolve_MalformedPlaceholders_AreLeftAlone(string text) => Assert.Equal(text, _client.Resolve(text));

    [Fact]
    public void Resolve_EscapedLookingInput_HasNoEscapeSyntax()
        => Assert.Equal(@"\sk-openai-version-one-0001 $sk-openai-version-one-0001", _client.Resolve(@"\$<credentials.openai_key> $$<credentials.openai_key>"));

    [Fact]
    public void Resolve_UnknownName_ThrowsNamingThePlaceholder_AndReturnsNothingPartial()
    {
        var ex = Assert.Throws<CredentialNotFoundException>(() => _client.Resolve("ok=$<credentials.openai_key> bad=$<credentials.missing_one> later=$<credentials.missing_two>"));
        Assert.Equal("missing_one", ex.Name);
        Assert.Equal(0, ex.Status);
        Assert.Contains("$<credentials.missing_one>", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-openai", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redactor_HidesCurrentAndOldValues_AfterRotation()
    {
        var changed = TestUtil.NextChangeAsync(_client);
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
        await changed.WithDeadline("the rotation");

        var text = "old sk-openai-version-one-0001 new sk-openai-version-two-0002 short abc";
        Assert.Equal("old [REDACTED:openai_key] new [REDACTED:openai_key] short abc", _client.Redactor.Redact(text));
    }

    [Fact]
    public async Task Redactor_RemembersDeletedValues()
    {
        var changed = TestUtil.NextChangeAsync(_client);
        await _broker.RemoveCredentialAsync("openai_key");
        await changed.WithDeadline("the removal");
        Assert.Equal("[REDACTED:openai_key]", _client.Redactor.Redact("sk-openai-version-one-0001"));
    }

    public sealed class Real : PlaceholderAndRedactorTests
    {
        protected override async Task<ITestBroker> StartBrokerAsync() => await RealBroker.StartNewAsync();
    }

    public sealed class Fake : PlaceholderAndRedactorTests
    {
        protected override async Task<ITestBroker> StartBrokerAsync() => await FakeBroker.StartNewAsync();
    }
}
