using Broker.Storage.Credentials;

namespace Broker.Storage.Postgres.Credentials;

public sealed class PostgresVaultCanaryStore(PostgresDatabase database) : SqlVaultCanaryStore(new PostgresDialect(database));
