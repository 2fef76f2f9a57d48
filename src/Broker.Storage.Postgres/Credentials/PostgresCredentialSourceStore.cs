using Broker.Storage.Credentials;

namespace Broker.Storage.Postgres.Credentials;

public sealed class PostgresCredentialSourceStore(PostgresDatabase database) : SqlCredentialSourceStore(new PostgresDialect(database));
