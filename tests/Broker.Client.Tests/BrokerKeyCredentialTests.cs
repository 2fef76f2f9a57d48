namespace Broker.Client.Tests;

/// <summary><see cref="BrokerKeyCredential"/> on its own: no broker involved.</summary>
public sealed class BrokerKeyCredentialTests
{
    [Fact]
    public void ToString_NeverShowsTheKey_BeforeOrAfterUpdate()
    {
        var credential = new BrokerKeyCredential("brk_first_secret_0123456789");
        Assert.DoesNotContain("brk_first", credential.ToString(), StringComparison.Ordinal);
        credential.Update("brk_second_secret_0123456789");
        Assert.DoesNotContain("brk_second", credential.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", credential.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyKeys_AreRejected_AndAFailedUpdateKeepsTheKey()
    {
        Assert.Throws<ArgumentNullException>(() => new BrokerKeyCredential(null!));
        Assert.Throws<ArgumentException>(() => new BrokerKeyCredential(" "));
        var credential = new BrokerKeyCredential("brk_kept_0123456789");
        Assert.Throws<ArgumentNullException>(() => credential.Update(null!));
        Assert.Throws<ArgumentException>(() => credential.Update(""));
        Assert.Equal("brk_kept_0123456789", credential.Key);
    }

    [Fact]
    public void BrokerClient_WithANullCredentialOrEndpoint_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new BrokerClient(new Uri("http://127.0.0.1:1"), (BrokerKeyCredential)null!));
        Assert.Throws<ArgumentNullException>(() => new BrokerClient(null!, new BrokerKeyCredential("brk_x_0123456789")));
    }
}
