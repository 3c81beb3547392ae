-- 0003_audit_keys, down.
DROP TABLE user_keys;
DROP TABLE console_keys;
ALTER TABLE audit_events ALTER COLUMN signature DROP NOT NULL;
ALTER TABLE audit_events ALTER COLUMN hash DROP NOT NULL;
ALTER TABLE audit_events ALTER COLUMN prev_hash DROP NOT NULL;
ALTER TABLE audit_events ALTER COLUMN payload TYPE jsonb USING payload::jsonb;
