-- See migrations/sqlite/0005_grants_bootstrap_and_signing_revocation.sql for the meaning of each change.
ALTER TABLE api_keys ADD COLUMN verify_as_patterns text NOT NULL DEFAULT '[]';
UPDATE api_keys SET verify_as_patterns = '["*"]' WHERE role = 'agent';

ALTER TABLE api_keys ADD COLUMN bootstrap_secret_hash bytea NULL;

UPDATE api_keys SET is_bootstrap = false
WHERE is_bootstrap AND EXISTS (SELECT 1 FROM key_secrets s WHERE s.key_id = api_keys.id AND s.expires_at IS NOT NULL);

ALTER TABLE signing_keys ADD COLUMN revoked_at bigint NULL;
