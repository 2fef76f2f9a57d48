using System.Security.Cryptography;
using System.Text;
using Broker.Vault;
using Broker.Vault.DataProtection;
using Microsoft.AspNetCore.DataProtection;

namespace Broker.Vault.Tests;

public sealed class EnvelopeEncryptionTests
{
    private static readonly byte[] Plaintext = Encoding.UTF8.GetBytes("sk-live-known-secret-value");
    private static readonly byte[] Ad = AssociatedData.ForCredential("default", "openai_key", "", 1);

    public static TheoryData<string> Keks => new() { "master", "dataprotection" };

    private static IKeyEncryptionKey NewKek(string kind) => kind == "master"
        ? new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32))
        : new DataProtectionKeyEncryptionKey(new EphemeralDataProtectionProvider());

    [Theory]
    [MemberData(nameof(Keks))]
    public void Seal_Open_RoundTrips_AndCiphertextHidesThePlaintext(string kind)
    {
        var envelope = new EnvelopeEncryption(NewKek(kind));
        var sealedValue = envelope.Seal(Plaintext, Ad);
        Assert.Equal(-1, sealedValue.Ciphertext.AsSpan().IndexOf(Plaintext.AsSpan(0, 8)));
        Assert.Equal(Plaintext, envelope.Open(sealedValue, Ad));
    }

    [Fact]
    public void EverySeal_UsesAFreshDataKeyAndNonce()
    {
        var envelope = new EnvelopeEncryption(NewKek("master"));
        var a = envelope.Seal(Plaintext, Ad);
        var b = envelope.Seal(Plaintext, Ad);
        Assert.NotEqual(a.Ciphertext, b.Ciphertext);
        Assert.NotEqual(a.WrappedKey, b.WrappedKey);
    }

    [Theory]
    [InlineData(0)] // nonce
    [InlineData(14)] // ciphertext
    [InlineData(-1)] // tag (last byte)
    public void Open_TamperedBlob_Fails(int index)
    {
        var envelope = new EnvelopeEncryption(NewKek("master"));
        var sealedValue = envelope.Seal(Plaintext, Ad);
        var blob = (byte[])sealedValue.Ciphertext.Clone();
        blob[index < 0 ? blob.Length + index : index] ^= 0x01;
        Assert.ThrowsAny<CryptographicException>(() => envelope.Open(sealedValue with { Ciphertext = blob }, Ad));
    }

    [Fact]
    public void Open_WithAnotherRowsAssociatedData_Fails()
    {
        var envelope = new EnvelopeEncryption(NewKek("master"));
        var sealedValue = envelope.Seal(Plaintext, Ad);
        foreach (var other in new[]
        {
            AssociatedData.ForCredential("other", "openai_key", "", 1),
            AssociatedData.ForCredential("default", "openai_key2", "", 1),
            AssociatedData.ForCredential("default", "openai_key", "alice", 1),
            AssociatedData.ForCredential("default", "openai_key", "", 2),
        })
        {
            Assert.ThrowsAny<CryptographicException>(() => envelope.Open(sealedValue, other));
        }
    }

    [Fact]
    public void AssociatedData_IsUnambiguous()
    {
        Assert.NotEqual(AssociatedData.For("p", "ab", "c"), AssociatedData.For("p", "a", "bc"));
    }

    [Theory]
    [MemberData(nameof(Keks))]
    public void Open_WithWrongKek_FailsWithKeyEncryptionKeyException(string kind)
    {
        var sealedValue = new EnvelopeEncryption(NewKek(kind)).Seal(Plaintext, Ad);
        var wrong = new EnvelopeEncryption(NewKek(kind));
        Assert.Throws<KeyEncryptionKeyException>(() => wrong.Open(sealedValue with { KekId = wrong.KeyEncryptionKey.Id }, Ad));
        Assert.Throws<KeyEncryptionKeyException>(() => wrong.Open(sealedValue, Ad));
    }

    [Fact]
    public void Rewrap_MovesDataKeysToTheNewKek_WithoutTouchingCiphertext()
    {
        var oldKek = NewKek("dataprotection");
        var newKek = NewKek("master");
        var sealedValue = new EnvelopeEncryption(oldKek).Seal(Plaintext, Ad);
        var target = new EnvelopeEncryption(newKek);
        var rewrapped = sealedValue with { WrappedKey = target.Rewrap(oldKek, sealedValue.WrappedKey), KekId = newKek.Id };
        Assert.Equal(sealedValue.Ciphertext, rewrapped.Ciphertext);
        Assert.Equal(Plaintext, target.Open(rewrapped, Ad));
    }

    [Fact]
    public void MasterKey_RejectsWrongSizeAndBadBase64_WithoutEchoingIt()
    {
        var ex = Assert.Throws<KeyEncryptionKeyException>(() => MasterKeyEncryptionKey.FromBase64("bm90LTMyLWJ5dGVz"));
        Assert.DoesNotContain("bm90LTMyLWJ5dGVz", ex.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<KeyEncryptionKeyException>(() => MasterKeyEncryptionKey.FromBase64("!!not base64 secret!!"));
        Assert.DoesNotContain("secret", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MasterKey_IdIsStableForTheSameKeyAndDiffersOtherwise()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(new MasterKeyEncryptionKey(key).Id, new MasterKeyEncryptionKey(key).Id);
        Assert.NotEqual(new MasterKeyEncryptionKey(key).Id, new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32)).Id);
    }
}

public sealed class ConcurrencyTests
{
    [Theory]
    [InlineData("master")]
    [InlineData("dataprotection")]
    public async Task SealAndOpen_FromManyThreads_NeverCorrupt(string kind)
    {
        IKeyEncryptionKey kek = kind == "master"
            ? new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32))
            : new DataProtectionKeyEncryptionKey(new EphemeralDataProtectionProvider());
        var envelope = new EnvelopeEncryption(kek);
        var sealedOnce = envelope.Seal("shared-value"u8, AssociatedData.For("t"));
        await Parallel.ForAsync(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, (i, _) =>
        {
            var plaintext = Encoding.UTF8.GetBytes("value-" + i);
            var ad = AssociatedData.For("t", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(plaintext, envelope.Open(envelope.Seal(plaintext, ad), ad));
            Assert.Equal("shared-value"u8.ToArray(), envelope.Open(sealedOnce, AssociatedData.For("t")));
            return ValueTask.CompletedTask;
        });
    }
}
