-- 0003_audit_keys: what verifying the audit trail in the historian needs.
--
-- The payload of an audit event is hashed and signed as the exact bytes the
-- console wrote, so it is kept as text: jsonb would normalise it and the
-- hash could no longer be recomputed.  The consoles' public keys (which seal
-- the chains) and the users' public keys (which sign actions) are published
-- here by every console, so that `jope-smb audit verify --historian` and an
-- auditor can check any signature without the console's files.
ALTER TABLE audit_events ALTER COLUMN payload TYPE text USING payload::text;
ALTER TABLE audit_events ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE audit_events ALTER COLUMN hash SET NOT NULL;
ALTER TABLE audit_events ALTER COLUMN signature SET NOT NULL;

CREATE TABLE console_keys (
    source_id   integer PRIMARY KEY REFERENCES jope_sources,
    public_key  bytea NOT NULL CHECK (length(public_key) = 32),
    published   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_keys (
    source_id   integer NOT NULL REFERENCES jope_sources,
    user_id     bigint NOT NULL,
    name        text NOT NULL,
    full_name   text NOT NULL,
    role        text NOT NULL,
    disabled    boolean NOT NULL DEFAULT false,
    public_key  bytea NOT NULL CHECK (length(public_key) = 32),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, user_id)
);
