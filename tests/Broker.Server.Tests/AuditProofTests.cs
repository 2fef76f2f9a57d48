using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Broker.Audit;
using Broker.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Server.Tests;

/// <summary>
/// Signed checkpoints: the head is signed by a published audit key, and verification against checkpoints catches what
/// the chain alone cannot (a cut tail, a chain recomputed from some record on) and a forged checkpoint.
/// </summary>
public sealed class AuditProofTests : IDisposable
{
    private readonly BrokerApp _app = new(settings: new Dictionary<string, string?>
    {
        ["Broker:Audit:JsonlPath"] = "audit/audit.jsonl",
        // Tests write checkpoints when they choose (WriteCheckpointsAsync), not on a timer.
        ["Broker:Audit:CheckpointInterval"] = "00:00:00",
    });

    public void Dispose() => _app.Dispose();

    private async Task<AuditCheckpoint> HeadAsync(string? key = null)
    {
        using var client = _app.ClientWith(key ?? BrokerApp.AdminKey);
        using var response = await client.GetAsync("/v1/audit/head");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<AuditCheckpoint>(BrokerApp.Web))!;
    }

    private async Task<IReadOnlyList<AuditPublicKey>> JwksAsync(BrokerApp? app = null)
    {
        using var anonymous = (app ?? _app).CreateClient();
        return AuditPublicKey.ParseJwks(await anonymous.GetStringAsync("/.well-known/audit-keys.json"));
    }

    private async Task<JsonNode> VerifyAsync(params AuditCheckpoint[] checkpoints)
    {
        using var admin = _app.Admin();
        using var response = await admin.PostAsJsonAsync("/v1/audit/verify", new { checkpoints });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await BrokerApp.JsonAsync(response);
    }

    private async Task<JsonNode> VerifyOwnAsync()
    {
        using var admin = _app.Admin();
        return await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit/verify"));
    }

    private async Task WriteRecordsAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await _app.PutAsync("c" + i, "value-" + i + "-xxxxxx");
        }
    }

    /// <summary>Runs SQL on the broker's database file as an attacker would: with the append-only triggers dropped.</summary>
    private void Tamper(params string[] statements)
    {
        using var connection = _app.Services.GetRequiredService<SqliteDatabase>().Open();
        foreach (var trigger in new[] { "tr_audit_records_no_update", "tr_audit_records_no_delete" })
        {
            using var drop = connection.CreateCommand();
            drop.CommandText = $"DROP TRIGGER IF EXISTS {trigger}";
            drop.ExecuteNonQuery();
        }

        foreach (var sql in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    [Fact]
    public async Task Head_IsSignedByAPublishedAuditKey_AsACompactJws()
    {
        await WriteRecordsAsync(2);
        var head = await HeadAsync();
        var keys = await JwksAsync();

        Assert.Equal("default", head.Tenant);
        Assert.Equal(2, head.Id);
        Assert.Equal(AuditCheckpointCheck.Valid, AuditCheckpointSigner.Check(head, keys));

        // Independently of the broker's own checker: the signature is an ES256 JWS a standard library validates.
        var jwk = keys.Single(k => k.Kid == head.Kid);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(head.Signature, new TokenValidationParameters
        {
            IssuerSigningKey = new JsonWebKey(jwk.ToJson()),
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(head.Hash, result.Claims["hash"]);
        Assert.Equal(head.Id, Convert.ToInt64(result.Claims["id"], System.Globalization.CultureInfo.InvariantCulture));

        // The head is what the chain holds: GET /v1/audit lists the record with that id and hash.
        var records = await AuditTrail.ReadAsync(_app);
        Assert.Contains(records, r => r["id"]!.GetValue<long>() == head.Id && AuditTrail.Str(r, "hash") == head.Hash);
        Assert.True((await VerifyAsync(head))["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task CutTail_IsDetected_AgainstACheckpoint()
    {
        await WriteRecordsAsync(5);
        var head = await HeadAsync();
        await _app.Services.GetRequiredService<AuditCheckpointWriter>().WriteCheckpointsAsync();
        Assert.True((await VerifyOwnAsync())["valid"]!.GetValue<bool>());

        Tamper($"DELETE FROM audit_records WHERE tenant = 'default' AND id > {head.Id - 2}");

        // The chain alone still holds together: only the checkpoint shows what is missing.
        Assert.True((await _app.Services.GetRequiredService<AuditVerifier>().VerifyAsync("default")).Valid);
        var given = await VerifyAsync(head);
        Assert.False(given["valid"]!.GetValue<bool>());
        Assert.Equal("checkpoint_missing", given["reason"]!.GetValue<string>());
        Assert.Equal(head.Id - 1, given["brokenAt"]!.GetValue<long>());

        var own = await VerifyOwnAsync();
        Assert.False(own["valid"]!.GetValue<bool>());
        Assert.Equal("checkpoint_missing", own["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task RewrittenChain_IsDetected_AgainstTheLastCheckpoint()
    {
        await WriteRecordsAsync(6);
        await _app.Services.GetRequiredService<AuditCheckpointWriter>().WriteCheckpointsAsync();
        var checkpoint = _app.Services.GetRequiredService<AuditCheckpointFile>().LatestFor("default")!;

        // Edit record 3 and recompute every hash from there on, so the chain verifies on its own.
        var store = _app.Services.GetRequiredService<IAuditStore>();
        var chain = await store.ReadChainAsync("default", 0, 1000, CancellationToken.None);
        var previous = chain.Single(r => r.Id == 2).Hash;
        var statements = new List<string>();
        foreach (var record in chain.Where(r => r.Id >= 3))
        {
            var edited = record with { PrevHash = previous, Target = record.Id == 3 ? "nothing-happened" : record.Target };
            edited = edited with { Hash = AuditChain.ComputeHash(edited) };
            statements.Add($"UPDATE audit_records SET target = '{edited.Target}', prev_hash = '{edited.PrevHash}', hash = '{edited.Hash}' WHERE tenant = 'default' AND id = {edited.Id}");
            previous = edited.Hash;
        }

        Tamper([.. statements]);

        Assert.True((await _app.Services.GetRequiredService<AuditVerifier>().VerifyAsync("default")).Valid);
        var own = await VerifyOwnAsync();
        Assert.False(own["valid"]!.GetValue<bool>());
        Assert.Equal("checkpoint_mismatch", own["reason"]!.GetValue<string>());
        Assert.Equal(checkpoint.Id, own["brokenAt"]!.GetValue<long>());
        Assert.False((await VerifyAsync(checkpoint))["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ForgedCheckpoint_IsInvalid()
    {
        await WriteRecordsAsync(2);
        var head = await HeadAsync();
        Assert.True((await VerifyAsync(head))["valid"]!.GetValue<bool>());

        // The fields changed under a genuine signature.
        var moved = await VerifyAsync(head with { Id = head.Id - 1, Hash = (await AuditTrail.ReadAsync(_app)).Single(r => r["id"]!.GetValue<long>() == head.Id - 1)["hash"]!.GetValue<string>() });
        Assert.False(moved["valid"]!.GetValue<bool>());
        Assert.Equal("checkpoint_signature", moved["reason"]!.GetValue<string>());

        // Signed by another key that claims the audit key's kid.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = AuditCheckpointSigner.Sign(other, head.Kid, head.Tenant, head.Head, head.Time);
        var forgedAnswer = await VerifyAsync(forged);
        Assert.False(forgedAnswer["valid"]!.GetValue<bool>());
        Assert.Equal("checkpoint_signature", forgedAnswer["reason"]!.GetValue<string>());
        Assert.False(forgedAnswer.AsObject().ContainsKey("brokenAt"));

        // Signed by a key the broker never published.
        var unknown = AuditCheckpointSigner.Sign(other, AuditPublicKey.Of(other).Kid, head.Tenant, head.Head, head.Time);
        Assert.Equal("checkpoint_unknown_key", (await VerifyAsync(unknown))["reason"]!.GetValue<string>());

        // A signature that is not a JWS at all.
        Assert.Equal("checkpoint_signature", (await VerifyAsync(head with { Signature = "not.a-jws" }))["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task CheckpointWriter_AppendsToTheFileAndTheJsonl_OnlyWhenRecordsWereAdded()
    {
        await WriteRecordsAsync(2);
        var writer = _app.Services.GetRequiredService<AuditCheckpointWriter>();
        var written = await writer.WriteCheckpointsAsync();
        var checkpoint = Assert.Single(written);
        Assert.Empty(await writer.WriteCheckpointsAsync());

        var file = _app.Services.GetRequiredService<AuditCheckpointFile>();
        Assert.Equal(Path.Combine(_app.DataDir, "audit-checkpoints.jsonl"), file.FilePath);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file.FilePath));
        }

        Assert.Equal(checkpoint, Assert.Single(AuditCheckpointFile.Read(file.FilePath).Checkpoints));
        Assert.Equal(AuditCheckpointCheck.Valid, AuditCheckpointSigner.Check(checkpoint, await JwksAsync()));

        // The JSONL copy gets the checkpoint after the records it covers (the sink runs off the request path: poll).
        var jsonl = Path.Combine(_app.DataDir, "audit", "audit.jsonl");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        IReadOnlyList<AuditCheckpoint> inJsonl = [];
        while (DateTime.UtcNow < deadline && inJsonl.Count == 0)
        {
            await Task.Delay(20);
            inJsonl = ReadShared(jsonl);
        }

        Assert.Equal(checkpoint, Assert.Single(inJsonl));
        var lines = File.ReadAllLines(jsonl);
        var at = Array.FindIndex(lines, l => l.Contains("\"type\":\"checkpoint\"", StringComparison.Ordinal));
        var covered = Assert.IsType<AuditRecord>(AuditJsonl.Parse(lines[at - 1]));
        Assert.Equal(checkpoint.Id, covered.Id);
        Assert.Equal(checkpoint.Hash, covered.Hash);

        await WriteRecordsAsync(1);
        Assert.Single(await writer.WriteCheckpointsAsync());
        Assert.Equal(2, AuditCheckpointFile.Read(file.FilePath).Checkpoints.Count);
    }

    private static IReadOnlyList<AuditCheckpoint> ReadShared(string path)
    {
        try
        {
            return AuditCheckpointFile.Read(path).Checkpoints;
        }
        catch (IOException)
        {
            return [];
        }
    }

    [Fact]
    public async Task Verify_IsItselfAudited()
    {
        await WriteRecordsAsync(1);
        var head = await HeadAsync();
        await VerifyAsync(head, head with { Signature = "x.y.z" });
        await VerifyOwnAsync();
        using (var admin = _app.Admin())
        {
            var tooMany = Enumerable.Repeat(head, AuditProof.MaxCheckpoints + 1).ToArray();
            await Actors.AssertProblemAsync(await admin.PostAsJsonAsync("/v1/audit/verify", new { checkpoints = tooMany }), HttpStatusCode.BadRequest);
            await Actors.AssertProblemAsync(await admin.PostAsJsonAsync("/v1/audit/verify", new { }), HttpStatusCode.BadRequest);
            await Actors.AssertProblemAsync(await admin.PostAsync("/v1/audit/verify", new StringContent("{\"checkpoints\":[{\"time\":\"yesterday\"}]}", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        }

        var records = await AuditTrail.ReadAsync(_app, AuditActions.AuditVerify);
        Assert.Equal(
            [
                ("allowed", $"valid=no count={head.Id} checkpoints=2 problem=checkpoint_signature"),
                ("allowed", $"valid=yes count={head.Id + 1} checkpoints=0"),
                ("denied", "validation fields=checkpoints"),
                ("denied", "validation fields=checkpoints"),
            ],
            AuditTrail.Decisions(records.Take(4)));
        Assert.Equal(5, records.Count);
        // A body that does not bind is recorded by the exception handler, before the route could name a target.
        Assert.Equal(("denied", "validation fields=body"), AuditTrail.Decisions([records[4]])[0]);
        Assert.Equal(["checkpoints", "chain", "checkpoints", "checkpoints"], records.Take(4).Select(r => AuditTrail.Str(r, "target")));
    }

    [Fact]
    public async Task Routes_AuthorizationMatrix()
    {
        var actors = await Actors.CreateAsync(_app);
        var (_, caller) = await _app.CreateKeyAsync(new { name = "customer", role = "caller" });
        var head = await HeadAsync();

        // GET /v1/audit/head: admin and responder, each of its own tenant.
        Assert.Equal("default", (await HeadAsync(actors.OtherAdmin.Key)).Tenant);
        Assert.Equal("default", (await HeadAsync(actors.Responder.Key)).Tenant);
        var acme = await HeadAsync(actors.AcmeAdmin.Key);
        Assert.Equal("acme", acme.Tenant);
        foreach (var key in new[] { actors.Agent.Key, caller })
        {
            using var client = _app.ClientWith(key);
            await Actors.AssertProblemAsync(await client.GetAsync("/v1/audit/head"), HttpStatusCode.Forbidden);
        }

        foreach (var key in new[] { actors.Revoked.Key, null })
        {
            using var client = _app.ClientWith(key);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/audit/head")).StatusCode);
        }

        // POST /v1/audit/verify: admin only; another tenant's admin checks only its own chain.
        var body = new { checkpoints = new[] { head } };
        Assert.Equal(HttpStatusCode.OK, (await actors.PostAsync(actors.OtherAdmin.Key, "/v1/audit/verify", body)).StatusCode);
        foreach (var key in new[] { actors.Responder.Key, actors.Agent.Key, caller })
        {
            await Actors.AssertProblemAsync(await actors.PostAsync(key, "/v1/audit/verify", body), HttpStatusCode.Forbidden);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await actors.PostAsync(actors.Revoked.Key, "/v1/audit/verify", body)).StatusCode);
        using (var anonymous = _app.CreateClient())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/v1/audit/verify", body)).StatusCode);
        }

        var crossTenant = await BrokerApp.JsonAsync(await actors.PostAsync(actors.AcmeAdmin.Key, "/v1/audit/verify", body));
        Assert.False(crossTenant["valid"]!.GetValue<bool>());
        Assert.Equal("checkpoint_tenant", crossTenant["reason"]!.GetValue<string>());
        Assert.True((await BrokerApp.JsonAsync(await actors.PostAsync(actors.AcmeAdmin.Key, "/v1/audit/verify", new { checkpoints = new[] { acme } })))["valid"]!.GetValue<bool>());

        // The JWKS needs no key.
        Assert.NotEmpty(await JwksAsync());
        Assert.Contains(await actors.AuditAsync(AuditActions.AuditVerify, actors.AcmeAdmin.Key), r => r["target"]!.GetValue<string>() == "checkpoints");
    }

    [Fact]
    public async Task AuditKeys_SurviveRestart_AndAreSealedAtRest()
    {
        var dataDir = BrokerApp.NewDataDir();
        string kid;
        AuditCheckpoint head;
        using (var first = new BrokerApp(dataDir: dataDir))
        {
            kid = Assert.Single(await JwksAsync(first)).Kid;
            using var admin = first.Admin();
            head = (await (await admin.GetAsync("/v1/audit/head")).Content.ReadFromJsonAsync<AuditCheckpoint>(BrokerApp.Web))!;
            Assert.Equal(kid, head.Kid);
            SqliteConnection.ClearAllPools();
        }

        using (var second = new BrokerApp(dataDir: dataDir))
        {
            Assert.Equal(kid, Assert.Single(await JwksAsync(second)).Kid);
            using var admin = second.Admin();
            var answer = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync("/v1/audit/verify", new { checkpoints = new[] { head } }));
            Assert.True(answer["valid"]!.GetValue<bool>());

            // Only the sealed private key is stored: no PKCS#8 structure in the clear.
            using var connection = second.Services.GetRequiredService<SqliteDatabase>().Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT ciphertext, public_jwk FROM audit_keys";
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read());
            var sealedKey = (byte[])reader[0];
            Assert.DoesNotContain("\"d\"", reader.GetString(1), StringComparison.Ordinal);
            using var ecdsa = ECDsa.Create();
            Assert.ThrowsAny<CryptographicException>(() => ecdsa.ImportPkcs8PrivateKey(sealedKey, out _));
        }

        Directory.Delete(dataDir, recursive: true);
    }
}
