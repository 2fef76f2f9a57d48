using Broker.Identity;
using Dapper;

namespace Broker.Storage.Identity;

/// <summary><see cref="ITrustedIssuerStore"/> written once for every SQL database: the rows of <c>trusted_issuers</c>.</summary>
public abstract class SqlTrustedIssuerStore : ITrustedIssuerStore
{
    private readonly StoreDialect _dialect;
    private readonly string _list;

    protected SqlTrustedIssuerStore(StoreDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
        _list = $"""
            SELECT tenant AS Tenant, name AS Name, issuer AS Issuer, jwks_uri AS JwksUri, jwks AS Jwks, audiences AS Audiences,
                   subject_claim AS SubjectClaim, issuer_use AS IssuerUse, created_at AS CreatedAt
            FROM trusted_issuers WHERE tenant = @tenant ORDER BY {dialect.Ordinal("name")}
            """;
    }

    public Task<IReadOnlyList<TrustedIssuer>> ListAsync(string tenant, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync<IReadOnlyList<TrustedIssuer>>(async connection =>
            (await connection.QueryAsync<Row>(new CommandDefinition(_list, new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false))
                .Select(r => r.ToIssuer()).ToArray(),
            cancellationToken);

    public Task<bool> InsertAsync(TrustedIssuer issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        return _dialect.RunAsync(async connection =>
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO trusted_issuers (tenant, name, issuer, jwks_uri, jwks, audiences, subject_claim, issuer_use, created_at)
                    VALUES (@Tenant, @Name, @Issuer, @JwksUri, @Jwks, @Audiences, @SubjectClaim, @Use, @CreatedAt)
                    """,
                    new
                    {
                        issuer.Tenant, issuer.Name, issuer.Issuer, issuer.JwksUri, issuer.Jwks, Audiences = StoreJson.Write(issuer.Audiences),
                        issuer.SubjectClaim, issuer.Use, CreatedAt = UnixMs.From(issuer.CreatedAt),
                    },
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (_dialect.IsUniqueViolation(ex))
            {
                return false;
            }
        }, cancellationToken);
    }

    public Task<bool> DeleteAsync(string tenant, string name, CancellationToken cancellationToken = default) =>
        _dialect.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM trusted_issuers WHERE tenant = @tenant AND name = @name", new { tenant, name }, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0,
            cancellationToken);

    private sealed record Row(string Tenant, string Name, string Issuer, string? JwksUri, string? Jwks, string Audiences, string SubjectClaim, string IssuerUse, long CreatedAt)
    {
        public TrustedIssuer ToIssuer() => new(Tenant, Name, Issuer, JwksUri, Jwks, StoreJson.ReadList(Audiences), SubjectClaim, IssuerUse, UnixMs.To(CreatedAt));
    }
}
