using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Broker.Core;
using Broker.Minting.Signing;
using Broker.Minting.Tokens;
using Broker.Vault;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Broker.Minting.Benchmarks;

/// <summary>
/// A full token mint through <see cref="TokenMinter.MintAsync"/> (validation, snapshot check, claims, JSON, ES256)
/// against a bare <see cref="ECDsa.SignData(byte[], HashAlgorithmName)"/> over as many bytes as the token's signing input.
/// </summary>
[MemoryDiagnoser]
public class MintBenchmarks
{
    private SigningKeyManager _keys = null!;
    private TokenMinter _minter = null!;
    private Caller _caller = null!;
    private MintTokenRequest _request = null!;
    private ECDsa _bare = null!;
    private byte[] _signingInput = null!;

    [GlobalSetup]
    public void Setup()
    {
        var encryption = new EnvelopeEncryption(new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32)));
        _keys = new SigningKeyManager(new InMemorySigningKeyStore(), encryption, Options.Create(new SigningOptions()), TimeProvider.System, NullLogger<SigningKeyManager>.Instance);
        _minter = new TokenMinter(_keys, Options.Create(new TokenOptions { Issuer = "http://127.0.0.1:8080" }), TimeProvider.System);
        _caller = new Caller("key-1", "deploy-bot", Role.Agent, "default", false, ["*"], [], Grants: Broker.Core.Grants.AgentGrants.Legacy);
        _request = new MintTokenRequest("https://api.example.com", "task-42", ["repo:read", "issues:write"], 300, "alice@example.com");

        var token = FullMint().Token;
        _signingInput = new byte[token.LastIndexOf('.')];
        RandomNumberGenerator.Fill(_signingInput);
        _bare = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Console.WriteLine($"// signing input: {_signingInput.Length} bytes ({Encoding.ASCII.GetByteCount(token)} bytes of token)");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _keys.Dispose();
        _bare.Dispose();
    }

    [Benchmark(Baseline = true)]
    public byte[] BareSign() => _bare.SignData(_signingInput, HashAlgorithmName.SHA256);

    [Benchmark]
    public TokenResult FullMint() => _minter.MintAsync(_caller, _request).GetAwaiter().GetResult();
}
