-- verify_as_patterns: the agent names an agent key may verify inbound keys for besides its own (JSON array of
-- patterns). New keys get what POST /v1/keys says (default []); agent keys that existed before this grant keep what
-- they could do, which was verifying for any agent name.
ALTER TABLE api_keys ADD COLUMN verify_as_patterns TEXT NOT NULL DEFAULT '[]';
UPDATE api_keys SET verify_as_patterns = '["*"]' WHERE role = 'agent';

-- bootstrap_secret_hash: the hash of the value a bootstrap key was registered with, kept after a rotation drops it from
-- key_secrets, so that a configured value is registered once and never comes back at a restart.
ALTER TABLE api_keys ADD COLUMN bootstrap_secret_hash BLOB NULL;

-- A rotation no longer hands bootstrap status on. A bootstrap key that rotated before this migration (a secret of it
-- sits in its grace period) is no longer the value configured at start: it becomes a plain admin key.
UPDATE api_keys SET is_bootstrap = 0
WHERE is_bootstrap = 1 AND EXISTS (SELECT 1 FROM key_secrets s WHERE s.key_id = api_keys.id AND s.expires_at IS NOT NULL);

-- revoked_at: when a signing key was retired at once (compromised). Such a key is never published or trusted again;
-- its sealed private key is erased (ciphertext emptied) at the same time.
ALTER TABLE signing_keys ADD COLUMN revoked_at INTEGER NULL;
