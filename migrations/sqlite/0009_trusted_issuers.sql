-- Acting for users and workloads (API.md v1.1 "Acting for a user"): the issuers whose JWTs a tenant trusts.
-- use is 'users' (user assertions) or 'workloads' (workload login). Exactly one of jwks_uri (fetched, https or
-- loopback http) and jwks (an inline JWKS, public keys only) is set. audiences is a JSON array of strings.
-- created_at is Unix milliseconds, UTC. No secret here.
CREATE TABLE trusted_issuers (
    tenant        TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    issuer        TEXT    NOT NULL,
    jwks_uri      TEXT    NULL,
    jwks          TEXT    NULL,
    audiences     TEXT    NOT NULL,
    subject_claim TEXT    NOT NULL,
    issuer_use    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant, name)
) WITHOUT ROWID;

-- subject: the user a caller key stands for when it proves that user to an agent (Broker-User-Key); NULL: the
-- key's name.
ALTER TABLE api_keys ADD COLUMN subject TEXT NULL;
