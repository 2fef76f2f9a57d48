using Broker.Storage.Credentials;

namespace Broker.Storage.Sqlite.Credentials;

public sealed class SqliteCredentialSourceStore(SqliteDatabase database) : SqlCredentialSourceStore(new SqliteDialect(database));
