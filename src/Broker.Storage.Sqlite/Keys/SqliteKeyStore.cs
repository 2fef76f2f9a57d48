using Broker.Storage.Keys;
using Microsoft.Extensions.Logging;

namespace Broker.Storage.Sqlite.Keys;

/// <summary><see cref="Broker.Keys.IKeyStore"/> on SQLite: the shared store on the SQLite dialect.</summary>
public sealed class SqliteKeyStore(SqliteDatabase database, ILogger<SqliteKeyStore>? logger = null) : SqlKeyStore(new SqliteDialect(database), logger);
