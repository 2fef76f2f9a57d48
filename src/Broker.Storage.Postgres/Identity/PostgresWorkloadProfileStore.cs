using Broker.Storage.Identity;

namespace Broker.Storage.Postgres.Identity;

public sealed class PostgresWorkloadProfileStore(PostgresDatabase database) : SqlWorkloadProfileStore(new PostgresDialect(database));
