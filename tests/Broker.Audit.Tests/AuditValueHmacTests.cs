using System.Security.Cryptography;
using System.Text;

namespace Broker.Audit.Tests;

public sealed class AuditValueHmacTests
{
    private static readonly byte[] KeyA = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] KeyB = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void SameValue_SameKey_SameHmac()
    {
        var hmac = new AuditValueHmac(new StaticValueHmacKeySource(KeyA));

        Assert.Equal(hmac.Compute("t1", "s3cret-value"), hmac.Compute("t1", "s3cret-value"));
        Assert.Equal(hmac.Compute("t1", "s3cret-value"), hmac.Compute("t1", Encoding.UTF8.GetBytes("s3cret-value")));
    }

    [Fact]
    public void DifferentKey_DifferentValue_OrDifferentTenant_DifferentHmac()
    {
        var a = new AuditValueHmac(new StaticValueHmacKeySource(KeyA));
        var b = new AuditValueHmac(new StaticValueHmacKeySource(KeyB));

        var reference = a.Compute("t1", "s3cret-value");
        Assert.NotEqual(reference, b.Compute("t1", "s3cret-value"));
        Assert.NotEqual(reference, a.Compute("t1", "s3cret-valuf"));
        Assert.NotEqual(reference, a.Compute("t2", "s3cret-value"));
        // The tenant is length-prefixed: moving a character across the boundary changes the HMAC.
        Assert.NotEqual(a.Compute("t1", "xvalue"), a.Compute("t1x", "value"));
    }

    [Fact]
    public void Hmac_IsLowercaseHex_AndMatchesTheDocumentedConstruction()
    {
        var hmac = new AuditValueHmac(new StaticValueHmacKeySource(KeyA));

        var mac = hmac.Compute("t1", "v");

        Assert.True(AuditValueHmac.IsWellFormed(mac));
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(KeyA, new byte[] { 0, 0, 0, 2, (byte)'t', (byte)'1', (byte)'v' })), mac);
    }

    [Fact]
    public void Keys_FromBase64_AndDerived()
    {
        Assert.Throws<FormatException>(() => StaticValueHmacKeySource.FromBase64(Convert.ToBase64String(new byte[16])));
        Assert.Throws<FormatException>(() => StaticValueHmacKeySource.FromBase64("not base64!"));
        Assert.Throws<ArgumentException>(() => new StaticValueHmacKeySource(new byte[31]));

        var fromConfig = new AuditValueHmac(StaticValueHmacKeySource.FromBase64(Convert.ToBase64String(KeyA)));
        Assert.Equal(new AuditValueHmac(new StaticValueHmacKeySource(KeyA)).Compute("t1", "v"), fromConfig.Compute("t1", "v"));

        var derived1 = new AuditValueHmac(StaticValueHmacKeySource.DeriveFrom(KeyA));
        var derived2 = new AuditValueHmac(StaticValueHmacKeySource.DeriveFrom(KeyA));
        Assert.Equal(derived1.Compute("t1", "v"), derived2.Compute("t1", "v"));
        Assert.NotEqual(fromConfig.Compute("t1", "v"), derived1.Compute("t1", "v"));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("hunter2", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    public void IsWellFormed(string? text, bool expected) => Assert.Equal(expected, AuditValueHmac.IsWellFormed(text));
}
