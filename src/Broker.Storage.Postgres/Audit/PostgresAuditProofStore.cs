using Broker.Storage.Audit;

namespace Broker.Storage.Postgres.Audit;

/// <summary>Audit keys and checkpoints on PostgreSQL, shared by every replica: the shared store on the PostgreSQL dialect.</summary>
public sealed class PostgresAuditProofStore(PostgresDatabase database) : SqlAuditProofStore(new PostgresDialect(database));
