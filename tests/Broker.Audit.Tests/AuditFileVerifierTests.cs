using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Audit.Tests;

/// <summary>The offline verifier over files in the documented formats (docs/audit.md), without a broker or a database.</summary>
public sealed class AuditFileVerifierTests : IDisposable
{
    private static readonly DateTimeOffset Time = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "broker-audit-offline", Guid.NewGuid().ToString("N"));
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _jwks;

    public AuditFileVerifierTests()
    {
        Directory.CreateDirectory(_directory);
        _jwks = AuditPublicKey.ToJwks([AuditPublicKey.Of(_key)]);
    }

    private string Kid => AuditPublicKey.Of(_key).Kid;

    private string JsonlPath => Path.Combine(_directory, "audit.jsonl");

    private string CheckpointPath => Path.Combine(_directory, "checkpoints.jsonl");

    public void Dispose()
    {
        _key.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static List<AuditRecord> Chain(string tenant, int count, AuditChainHead? from = null)
    {
        var head = from ?? AuditChainHead.Genesis;
        var records = new List<AuditRecord>();
        for (var i = 1; i <= count; i++)
        {
            var record = AuditRecord.Chain(Entries.Read(tenant, (int)head.Id + 1), head, Time);
            records.Add(record);
            head = record.AsHead;
        }

        return records;
    }

    private AuditCheckpoint Sign(AuditRecord record) => AuditCheckpointSigner.Sign(_key, Kid, record.Tenant, record.AsHead, Time.AddSeconds(10));

    private async Task ExportAsync(IReadOnlyList<AuditRecord> records, params AuditCheckpoint[] checkpoints)
    {
        using var sink = new JsonlFileAuditSink(JsonlPath, 1 << 20);
        await sink.WriteAsync(records, CancellationToken.None);
        using var file = new AuditCheckpointFile(CheckpointPath);
        File.AppendAllText(CheckpointPath, "");
        foreach (var checkpoint in checkpoints)
        {
            await sink.WriteCheckpointAsync(checkpoint, CancellationToken.None);
            await file.AppendAsync(checkpoint);
        }
    }

    private AuditFileVerification Verify(string? jwks = null, bool withCheckpointFile = true) =>
        AuditFileVerifier.Verify([JsonlPath], withCheckpointFile ? [CheckpointPath] : [], jwks ?? _jwks);

    [Fact]
    public async Task UntouchedExport_IsValid_PerTenant()
    {
        var t1 = Chain("t1", 5);
        var t2 = Chain("t2", 3);
        await ExportAsync([.. t1.Take(3), .. t2, .. t1.Skip(3)], Sign(t1[^1]), Sign(t2[^1]));

        var result = Verify();

        Assert.True(result.Valid);
        Assert.Equal(8, result.Records);
        Assert.Equal(2, result.Checkpoints); // each both in the JSONL and in the checkpoint file: counted once
        Assert.Equal(new AuditVerification(true, 5, null, 1, null), result.Tenants["t1"]);
        Assert.Equal(new AuditVerification(true, 3, null, 1, null), result.Tenants["t2"]);
    }

    [Fact]
    public async Task CutTail_IsDetected_ByTheCheckpointFile()
    {
        var t1 = Chain("t1", 5);
        await ExportAsync(t1, Sign(t1[^1]));
        File.WriteAllLines(JsonlPath, File.ReadAllLines(JsonlPath).Take(3));

        var result = Verify();

        Assert.False(result.Valid);
        Assert.Equal(new AuditVerification(false, 3, 4, 1, "checkpoint_missing"), result.Tenants["t1"]);
    }

    [Fact]
    public async Task RewrittenChain_IsDetected_AtTheCheckpoint()
    {
        var t1 = Chain("t1", 6);
        await ExportAsync([], Sign(t1[4]));
        var rewritten = t1.Take(2).ToList();
        foreach (var record in t1.Skip(2))
        {
            var edited = record with { PrevHash = rewritten[^1].Hash, Outcome = record.Id == 3 ? AuditOutcomes.Denied : record.Outcome };
            rewritten.Add(edited with { Hash = AuditChain.ComputeHash(edited) });
        }

        await ExportAsync(rewritten);

        Assert.Equal(new AuditVerification(false, 6, 5, 1, "checkpoint_mismatch"), Verify().Tenants["t1"]);
    }

    [Fact]
    public async Task EditedRecordLine_FailsTheChain()
    {
        var t1 = Chain("t1", 4);
        await ExportAsync(t1, Sign(t1[^1]));
        var lines = File.ReadAllLines(JsonlPath);
        lines[1] = lines[1].Replace("\"allowed\"", "\"denied\"", StringComparison.Ordinal);
        File.WriteAllLines(JsonlPath, lines);

        var result = Verify();

        Assert.False(result.Valid);
        Assert.Equal(2, result.Tenants["t1"].BrokenAt);
    }

    [Fact]
    public async Task ForgedOrForeignCheckpoints_AreInvalid()
    {
        var t1 = Chain("t1", 3);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = AuditCheckpointSigner.Sign(other, Kid, "t1", t1[^1].AsHead, Time);
        await ExportAsync(t1, forged);
        Assert.Equal("checkpoint_signature", Verify().Tenants["t1"].Reason);

        File.Delete(JsonlPath);
        File.Delete(CheckpointPath);
        await ExportAsync(t1, Sign(t1[^1]));
        Assert.True(Verify().Valid);
        Assert.Equal("checkpoint_unknown_key", Verify(AuditPublicKey.ToJwks([AuditPublicKey.Of(other)])).Tenants["t1"].Reason);
    }

    [Fact]
    public async Task FileThatStartsAfterACheckpoint_IsAnchoredOnIt_OtherwiseBrokenAtItsFirstRecord()
    {
        var t1 = Chain("t1", 6);
        var anchor = Sign(t1[2]);
        await ExportAsync(t1.Skip(3).ToList(), Sign(t1[0]), anchor, Sign(t1[^1]));

        var anchored = Verify();
        Assert.True(anchored.Valid);
        Assert.Equal(new AuditVerification(true, 3, null, 3, null), anchored.Tenants["t1"]);

        // Without the checkpoint file (nor the checkpoints in the JSONL) nothing says where id 4 came from.
        File.WriteAllLines(JsonlPath, File.ReadAllLines(JsonlPath).Where(l => !l.StartsWith("{\"type\"", StringComparison.Ordinal)));
        Assert.Equal(new AuditVerification(false, 3, 4, 0, null), Verify(withCheckpointFile: false).Tenants["t1"]);
    }

    [Fact]
    public async Task MalformedLine_MakesTheFileInvalid()
    {
        await ExportAsync(Chain("t1", 2));
        File.AppendAllText(JsonlPath, "{\"id\": \"not a record\"}\n");

        var result = Verify();

        Assert.False(result.Valid);
        Assert.Equal(1, result.MalformedLines);
    }

    [Fact]
    public async Task CheckpointLine_AndSignature_HaveTheDocumentedFormat()
    {
        var record = Chain("t1", 1)[0];
        var checkpoint = Sign(record);
        await ExportAsync([], checkpoint);

        var line = Assert.Single(File.ReadAllLines(CheckpointPath));
        Assert.Equal(
            $"{{\"type\":\"checkpoint\",\"tenant\":\"t1\",\"id\":1,\"hash\":\"{record.Hash}\",\"time\":\"2025-06-01T08:00:10.000000Z\",\"kid\":\"{Kid}\",\"signature\":\"{checkpoint.Signature}\"}}",
            line);

        var parts = checkpoint.Signature.Split('.');
        Assert.Equal($"{{\"alg\":\"ES256\",\"kid\":\"{Kid}\"}}", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0])));
        Assert.Equal(
            $"{{\"tenant\":\"t1\",\"id\":1,\"hash\":\"{record.Hash}\",\"time\":\"2025-06-01T08:00:10.000000Z\"}}",
            Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])));
        Assert.True(_key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256));

        var jwk = AuditPublicKey.ParseJwks(_jwks).Single();
        Assert.Equal(Kid, jwk.Kid);
        Assert.StartsWith("{\"keys\":[{\"kty\":\"EC\",\"use\":\"sig\",\"alg\":\"ES256\",\"kid\":", _jwks, StringComparison.Ordinal);
    }
}
