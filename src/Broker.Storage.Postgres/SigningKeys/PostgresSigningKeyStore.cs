using Broker.Storage.SigningKeys;

namespace Broker.Storage.Postgres.SigningKeys;

/// <summary>Signing keys on PostgreSQL, shared by every replica (one JWKS): the shared store on the PostgreSQL dialect.</summary>
public sealed class PostgresSigningKeyStore(PostgresDatabase database) : SqlSigningKeyStore(new PostgresDialect(database));
