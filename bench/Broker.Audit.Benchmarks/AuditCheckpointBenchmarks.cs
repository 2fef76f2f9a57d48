using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Broker.Audit;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Audit;
using Broker.Vault;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Broker.Audit.Benchmarks;

/// <summary>
/// What a signed checkpoint costs (issue 16, "checkpoint cost"): the ES256 signature of a head alone, and one whole
/// checkpoint of one tenant as <see cref="AuditCheckpointWriter"/> writes it every interval (sign, append to the
/// checkpoint file and fsync it, insert into <c>audit_checkpoints</c>), on a SQLite database with
/// <c>synchronous=FULL</c>.
/// </summary>
[MemoryDiagnoser]
public class AuditCheckpointBenchmarks
{
    private string _directory = string.Empty;
    private GroupCommitAuditLog _log = null!;
    private AuditCheckpointWriter _writer = null!;
    private AuditKeyManager _keys = null!;
    private MasterKeyEncryptionKey _kek = null!;
    private AuditCheckpointFile _file = null!;
    private ECDsa _signer = null!;
    private long _n;

    [GlobalSetup]
    public void Setup()
    {
        var database = BenchDatabase.Create("broker-checkpoint-bench", out _directory);
        var proof = new SqliteAuditProofStore(database);
        _kek = new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32));
        _keys = new AuditKeyManager(proof, new EnvelopeEncryption(_kek), TimeProvider.System);
        _keys.InitializeAsync().GetAwaiter().GetResult();
        _log = new GroupCommitAuditLog(new SqliteAuditStore(database), [], Options.Create(new AuditOptions()), TimeProvider.System);
        _file = new AuditCheckpointFile(Path.Combine(_directory, "checkpoints.jsonl"));
        _writer = new AuditCheckpointWriter(_log, _keys, proof, Options.Create(new AuditOptions()), TimeProvider.System,
            NullLogger<AuditCheckpointWriter>.Instance, _file);
        _signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer.Dispose();
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _keys.Dispose();
        _kek.Dispose();
        _file.Dispose();
        _signer.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "ES256 signature of a head")]
    public AuditCheckpoint Sign() =>
        AuditCheckpointSigner.Sign(_signer, "kid", "default", new AuditChainHead(++_n, AuditChain.GenesisHash), DateTimeOffset.UtcNow);

    [Benchmark(Description = "one tenant's checkpoint: sign, file + fsync, database")]
    public async Task<int> WriteCheckpoint()
    {
        // One record moves the head, so the writer has a checkpoint to write (the record's own append is included).
        await _log.RecordAsync(new AuditEntry("default", new AuditActor("key-1", "agent", "agent"), AuditActions.CredentialRead,
            "db-password", AuditOutcomes.Allowed, null, "req-" + ++_n));
        return (await _writer.WriteCheckpointsAsync()).Count;
    }

    [Benchmark(Description = "one record appended, awaited until durable (to subtract)")]
    public ValueTask Append() =>
        _log.RecordAsync(new AuditEntry("default", new AuditActor("key-1", "agent", "agent"), AuditActions.CredentialRead,
            "db-password", AuditOutcomes.Allowed, null, "req-" + ++_n));
}
