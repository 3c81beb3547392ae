-- 0002_audit_batches: the audit trail and batch records, forwarded from the
-- consoles like samples (source_id, seq) for the e-signature and batch work.
CREATE TABLE audit_events (
    source_id   integer NOT NULL REFERENCES jope_sources,
    seq         bigint NOT NULL,
    time        timestamptz NOT NULL,
    kind        text NOT NULL,
    actor       text,
    payload     jsonb NOT NULL,
    prev_hash   bytea,
    hash        bytea,
    signature   bytea,
    PRIMARY KEY (source_id, seq)
);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_kind_time ON audit_events (kind, time);

CREATE TABLE batches (
    batch_id        text PRIMARY KEY,
    source_id       integer NOT NULL REFERENCES jope_sources,
    recipe          text NOT NULL,
    recipe_version  text NOT NULL,
    state           text NOT NULL,
    started_at      timestamptz,
    ended_at        timestamptz,
    started_by      text,
    record          jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX batches_started_at ON batches (started_at);
