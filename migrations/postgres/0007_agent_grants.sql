-- See migrations/sqlite/0006_agent_grants.sql for the meaning of each change.
ALTER TABLE api_keys ADD COLUMN grants text NOT NULL DEFAULT '{}';
UPDATE api_keys SET grants = '{"tokens":{"audiences":["*"],"scopes":["*"],"maxTtlSeconds":3600},"sts":{"roles":["*"],"maxDurationSeconds":43200},"subjects":"any"}'
WHERE role = 'agent';

ALTER TABLE credentials ADD COLUMN agent_access text NOT NULL DEFAULT 'read';
UPDATE credentials SET agent_access = 'use' WHERE kind = 'aws';
