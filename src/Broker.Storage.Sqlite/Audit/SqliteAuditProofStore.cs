using Broker.Storage.Audit;

namespace Broker.Storage.Sqlite.Audit;

/// <summary>Audit keys and checkpoints on SQLite: the shared store on the SQLite dialect.</summary>
public sealed class SqliteAuditProofStore(SqliteDatabase database) : SqlAuditProofStore(new SqliteDialect(database));
