using Broker.Storage.Identity;

namespace Broker.Storage.Sqlite.Identity;

public sealed class SqliteWorkloadProfileStore(SqliteDatabase database) : SqlWorkloadProfileStore(new SqliteDialect(database));
