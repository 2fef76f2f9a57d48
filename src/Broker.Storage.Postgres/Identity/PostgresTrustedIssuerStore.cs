using Broker.Storage.Identity;

namespace Broker.Storage.Postgres.Identity;

public sealed class PostgresTrustedIssuerStore(PostgresDatabase database) : SqlTrustedIssuerStore(new PostgresDialect(database));
