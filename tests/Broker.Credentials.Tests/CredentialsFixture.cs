using System.Security.Cryptography;
using Broker.Audit;
using Broker.Core;
using Broker.Core.Grants;
using Broker.Credentials;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Credentials;
using Broker.Vault;
using Microsoft.Extensions.Options;

namespace Broker.Credentials.Tests;

/// <summary>The credential use cases over a real SQLite file, with an audit log that keeps what it was given.</summary>
internal sealed class CredentialsFixture : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "broker-credentials-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteDatabase _database;

    public CredentialsFixture(int maxLongPollsPerKey = 8)
    {
        Directory.CreateDirectory(_directory);
        _database = new SqliteDatabase(Path.Combine(_directory, "broker.db"));
        SqliteMigrations.Apply(_database);
        var envelope = new EnvelopeEncryption(new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32)));
        Service = new CredentialService(new SqliteCredentialStore(_database), envelope, new CredentialChangeSignal(), TimeProvider.System);
        Trail = new AuditTrail(Audit, new AuditValueHmac(new StaticValueHmacKeySource(RandomNumberGenerator.GetBytes(32))), []);
        var limiter = new LongPollLimiter(Options.Create(new AgentFeedOptions { MaxLongPollsPerKey = maxLongPollsPerKey }));
        Feed = new AgentCredentialFeed(Service, Trail, limiter, TimeProvider.System);
        Admin = new CredentialAdmin(Service, Trail);
    }

    public RecordingAuditLog Audit { get; } = new();

    public CredentialService Service { get; }

    public AuditTrail Trail { get; }

    public AgentCredentialFeed Feed { get; }

    public CredentialAdmin Admin { get; }

    public static Caller AdminCaller { get; } = new("key-admin", "ops", Role.Admin, Tenants.Default, false, [], []);

    public static Caller Agent(params string[] patterns) => new("key-agent", "agent-1", Role.Agent, Tenants.Default, false, patterns, [], Grants: AgentGrants.None);

    public static Caller BackOfficeAgent(params string[] patterns) =>
        new("key-agent", "agent-1", Role.Agent, Tenants.Default, false, patterns, [], Grants: AgentGrants.None with { Subjects = SubjectsGrant.Any });

    public static AuditContext ContextOf(Caller caller, string requestId = "req-1") => new(caller, requestId, "GET /v1/agent/credentials");

    public Task PutAsync(string name, string value) =>
        Admin.PutAsync(ContextOf(AdminCaller, "put-" + name), name, null, value, null, null, null);

    public void Dispose()
    {
        // Pooled connections keep the file open; let go of them before the directory goes.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
