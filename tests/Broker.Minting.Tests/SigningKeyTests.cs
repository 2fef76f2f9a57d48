using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Core;
using Broker.Minting.Signing;
using Broker.Vault;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Minting.Tests;

public sealed class SigningKeyTests
{
    [Fact]
    public async Task Kid_IsTheRfc7638Thumbprint_ComputedIndependently()
    {
        using var rig = new MintingRig();
        var jwk = JsonNode.Parse(await rig.Jwks.GetJwksAsync())!["keys"]![0]!;

        // 1. By hand, following RFC 7638 §3: required members, lexicographic order, no whitespace, SHA-256, base64url.
        var canonical = $$"""{"crv":"{{jwk["crv"]}}","kty":"{{jwk["kty"]}}","x":"{{jwk["x"]}}","y":"{{jwk["y"]}}"}""";
        var byHand = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
        // 2. By Microsoft.IdentityModel's own implementation.
        var byIdentityModel = Base64UrlEncoder.Encode(new JsonWebKey(jwk.ToJsonString()).ComputeJwkThumbprint());

        Assert.Equal(byHand, (string)jwk["kid"]!);
        Assert.Equal(byIdentityModel, (string)jwk["kid"]!);
    }

    [Fact]
    public void Thumbprint_MatchesAKnownVector()
    {
        // The P-256 key of RFC 7517 Appendix A.1; expected value computed with the RFC 7638 algorithm by
        // Microsoft.IdentityModel (JsonWebKey.ComputeJwkThumbprint), not by the code under test.
        const string x = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4";
        const string y = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM";
        var expected = Base64UrlEncoder.Encode(new JsonWebKey($$"""{"kty":"EC","crv":"P-256","x":"{{x}}","y":"{{y}}"}""").ComputeJwkThumbprint());

        Assert.Equal(expected, JwkThumbprint.ForEcKey("P-256", x, y));
        Assert.Equal("cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s", JwkThumbprint.ForEcKey("P-256", x, y));
    }

    [Fact]
    public async Task Jwks_PublishesOnlyPublicParameters()
    {
        using var rig = new MintingRig();
        await rig.Keys.GetSnapshotAsync();
        await rig.Keys.RotateAsync();

        var keys = JsonNode.Parse(await rig.Jwks.GetJwksAsync())!["keys"]!.AsArray();

        Assert.Equal(2, keys.Count);
        foreach (var key in keys)
        {
            var names = key!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(["alg", "crv", "kid", "kty", "use", "x", "y"], names);
            Assert.Equal("ES256", (string)key["alg"]!);
            Assert.Equal("sig", (string)key["use"]!);
        }
    }

    [Fact]
    public async Task StoredKey_HoldsThePrivateScalarOnlySealed()
    {
        using var rig = new MintingRig();
        await rig.Keys.GetSnapshotAsync();
        var record = Assert.Single(await rig.Store.ListAsync());

        var pkcs8 = rig.Encryption.Open(record.SealedPrivateKey, SigningKeyMaterial.AssociatedDataFor(record.Kid));
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
        var d = ecdsa.ExportParameters(true).D!;

        Assert.Equal(32, d.Length);
        Assert.Equal(-1, record.SealedPrivateKey.Ciphertext.AsSpan().IndexOf(d));
        Assert.Equal(-1, record.SealedPrivateKey.WrappedKey.AsSpan().IndexOf(d));
        Assert.Equal(-1, record.SealedPrivateKey.Ciphertext.AsSpan().IndexOf(pkcs8.AsSpan(pkcs8.Length - 40, 32)));
        Assert.DoesNotContain("\"d\"", record.PublicJwk);
        Assert.DoesNotContain(Base64Url.EncodeToString(d), record.PublicJwk);
        Assert.DoesNotContain(Base64Url.EncodeToString(d), await rig.Jwks.GetJwksAsync());
    }

    [Fact]
    public async Task SealedKey_MovedToAnotherKid_DoesNotOpen()
    {
        var encryption = TestFixtures.NewEncryption();
        var (a, _) = SigningKeyMaterial.Generate(encryption, DateTimeOffset.UtcNow);
        var (b, _) = SigningKeyMaterial.Generate(encryption, DateTimeOffset.UtcNow);

        var swapped = b with { SealedPrivateKey = a.SealedPrivateKey };

        var ex = Assert.Throws<BrokerOperationException>(() => SigningKeyMaterial.Open(swapped, encryption));
        Assert.Equal(BrokerErrorKind.Unavailable, ex.Kind);
    }

    [Fact]
    public async Task KeyWhosePrivatePartIsAnotherKey_IsRefused()
    {
        // A record whose sealed private key is validly sealed under its kid but belongs to a different key pair:
        // signing with it would produce tokens no published key verifies.
        var encryption = TestFixtures.NewEncryption();
        var (record, _) = SigningKeyMaterial.Generate(encryption, DateTimeOffset.UtcNow);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = record with { SealedPrivateKey = encryption.Seal(other.ExportPkcs8PrivateKey(), SigningKeyMaterial.AssociatedDataFor(record.Kid)) };

        var ex = Assert.Throws<BrokerOperationException>(() => SigningKeyMaterial.Open(forged, encryption));
        Assert.Equal(BrokerErrorKind.Unavailable, ex.Kind);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task WrongKeyEncryptionKey_MakesKeysUnavailable_WithoutLeakingAnything()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new InMemorySigningKeyStore();
        using (var first = TestFixtures.Manager(store, TestFixtures.NewEncryption(), time))
        {
            await first.GetSnapshotAsync();
        }

        using var second = TestFixtures.Manager(store, TestFixtures.NewEncryption(), time);
        var ex = await Assert.ThrowsAsync<BrokerOperationException>(() => second.GetSnapshotAsync().AsTask());
        Assert.Equal(BrokerErrorKind.Unavailable, ex.Kind);
    }

    [Fact]
    public async Task ScheduledRotation_RetiresThePreviousKey_AndDropsItAfterItsTokensExpire()
    {
        var options = TestFixtures.Options(rotation: TimeSpan.FromDays(1));
        using var rig = new MintingRig(options: options);
        var first = (await rig.Keys.GetSnapshotAsync()).Current.Kid;

        rig.Time.Advance(TimeSpan.FromDays(1));
        var second = (await rig.Keys.GetSnapshotAsync()).Current.Kid;

        Assert.NotEqual(first, second);
        var stored = await rig.Store.ListAsync();
        Assert.Equal(2, stored.Count);
        var retired = stored.Single(k => k.Kid == first);
        Assert.Equal(rig.Time.GetUtcNow(), retired.RetiredAt);
        Assert.Equal(rig.Time.GetUtcNow().AddSeconds(3600), retired.ExpiresAt);
        Assert.Contains(first, await rig.Jwks.GetJwksAsync());

        rig.Time.Advance(SigningKeyManagerTimeline.RetiredKeyLifetime - TimeSpan.FromSeconds(1));
        Assert.Contains(first, await rig.Jwks.GetJwksAsync());

        rig.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(first, await rig.Jwks.GetJwksAsync());
        Assert.Equal(second, Assert.Single(await rig.Store.ListAsync()).Kid);
    }

    [Fact]
    public async Task Replicas_SharingAStore_ConvergeOnOneCurrentKey()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new InMemorySigningKeyStore();
        var encryption = TestFixtures.NewEncryption();
        using var a = TestFixtures.Manager(store, encryption, time);
        using var b = TestFixtures.Manager(store, encryption, time);
        await Task.WhenAll(a.GetSnapshotAsync().AsTask(), b.GetSnapshotAsync().AsTask());

        // Both rotate at once; then each sees the other's work no later than its refresh interval.
        await Task.WhenAll(a.RotateAsync(), b.RotateAsync(), a.RotateAsync());
        time.Advance(TimeSpan.FromMinutes(1));
        var viewA = await a.GetSnapshotAsync();
        var viewB = await b.GetSnapshotAsync();

        Assert.Equal(viewA.Current.Kid, viewB.Current.Kid);
        var active = (await store.ListAsync()).Where(k => k.RetiredAt is null).ToList();
        Assert.Equal(viewA.Current.Kid, Assert.Single(active).Kid);
        // Every key ever used stays published on both replicas.
        foreach (var key in await store.ListAsync())
        {
            Assert.Contains(viewA.Published, p => p.Kid == key.Kid);
            Assert.Contains(viewB.Published, p => p.Kid == key.Kid);
        }
    }

    [Fact]
    public async Task StaleReplica_PicksUpARotation_WithinTheRefreshInterval()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new InMemorySigningKeyStore();
        var encryption = TestFixtures.NewEncryption();
        using var a = TestFixtures.Manager(store, encryption, time);
        using var b = TestFixtures.Manager(store, encryption, time);
        var original = (await b.GetSnapshotAsync()).Current.Kid;

        var rotated = (await a.RotateAsync()).Current.Kid;
        Assert.Equal(original, (await b.GetSnapshotAsync()).Current.Kid);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(rotated, (await b.GetSnapshotAsync()).Current.Kid);
        Assert.Equal(rotated, (await b.RefreshAsync()).Current.Kid);
    }

    [Fact]
    public async Task ConcurrentCallers_LoadTheKeysOnce()
    {
        using var rig = new MintingRig();
        var snapshots = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => rig.Keys.GetSnapshotAsync().AsTask())));

        Assert.Single(snapshots.Select(s => s.Current.Kid).Distinct());
        Assert.Single(await rig.Store.ListAsync());
    }

    [Fact]
    public void Options_RequireAMarginLongerThanTheRefreshInterval()
    {
        var options = new SigningOptions { RefreshInterval = TimeSpan.FromMinutes(10), RetirementMargin = TimeSpan.FromMinutes(5) };

        Assert.Throws<OptionsValidationException>(() => TestFixtures.Manager(new InMemorySigningKeyStore(), TestFixtures.NewEncryption(), TimeProvider.System, options));
    }

    [Fact]
    public void RecordsAndKeys_DoNotPrintKeyMaterial()
    {
        var (record, key) = SigningKeyMaterial.Generate(TestFixtures.NewEncryption(), DateTimeOffset.UtcNow);

        Assert.DoesNotContain("Ciphertext", record.ToString());
        Assert.DoesNotContain("System.Byte", record.ToString());
        Assert.Equal($"SigningKey {{ Kid = {key.Kid} }}", key.ToString());
        _ = JsonSerializer.Serialize(new { record.Kid });
    }
}
