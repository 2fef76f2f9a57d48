using Broker.Storage.Credentials;

namespace Broker.Storage.Sqlite.Credentials;

public sealed class SqliteVaultCanaryStore(SqliteDatabase database) : SqlVaultCanaryStore(new SqliteDialect(database));
