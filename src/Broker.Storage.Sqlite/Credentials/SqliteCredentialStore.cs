using Broker.Storage.Credentials;

namespace Broker.Storage.Sqlite.Credentials;

/// <summary><see cref="Broker.Credentials.ICredentialStore"/> on SQLite: the shared store on the SQLite dialect.</summary>
public sealed class SqliteCredentialStore(SqliteDatabase database) : SqlCredentialStore(new SqliteDialect(database));
