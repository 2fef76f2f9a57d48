using Broker.Storage.Identity;

namespace Broker.Storage.Sqlite.Identity;

public sealed class SqliteTrustedIssuerStore(SqliteDatabase database) : SqlTrustedIssuerStore(new SqliteDialect(database));
