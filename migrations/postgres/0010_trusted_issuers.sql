-- Acting for users and workloads (API.md v1.1 "Acting for a user"): the issuers whose JWTs a tenant trusts.
-- use is 'users' (user assertions) or 'workloads' (workload login). Exactly one of jwks_uri (fetched, https or
-- loopback http) and jwks (an inline JWKS, public keys only) is set. audiences is a JSON array of strings.
-- created_at is Unix milliseconds, UTC. No secret here.
CREATE TABLE trusted_issuers (
    tenant        text   NOT NULL,
    name          text   NOT NULL,
    issuer        text   NOT NULL,
    jwks_uri      text,
    jwks          text,
    audiences     text   NOT NULL,
    subject_claim text   NOT NULL,
    issuer_use    text   NOT NULL,
    created_at    bigint NOT NULL,
    PRIMARY KEY (tenant, name)
);

-- subject: the user a caller key stands for when it proves that user to an agent (Broker-User-Key); NULL: the
-- key's name.
ALTER TABLE api_keys ADD COLUMN subject text;
