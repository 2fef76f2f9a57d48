using Broker.Storage.Approvals;

namespace Broker.Storage.Sqlite.Approvals;

public sealed class SqliteApprovalStore(SqliteDatabase database) : SqlApprovalStore(new SqliteDialect(database));
