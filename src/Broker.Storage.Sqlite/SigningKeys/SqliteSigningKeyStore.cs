using Broker.Storage.SigningKeys;

namespace Broker.Storage.Sqlite.SigningKeys;

/// <summary>Signing keys on SQLite: the shared store on the SQLite dialect.</summary>
public sealed class SqliteSigningKeyStore(SqliteDatabase database) : SqlSigningKeyStore(new SqliteDialect(database));
