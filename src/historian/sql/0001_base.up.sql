-- 0001_base: sources, exactly-once marks, samples, collection errors, spectra.
--
-- Exactly-once: every record of a console carries (source_id, seq); seq is
-- the record's sequence in that console's spool, strictly increasing and
-- never reused.  upload_marks holds, per source and stream, the highest seq
-- the historian has committed (the high-water mark).  An upload moves the
-- records and the mark in one transaction, so after a lost acknowledgement
-- the console reads the mark back and skips what is already here.

CREATE TABLE jope_sources (
    source_id   serial PRIMARY KEY,
    spool_id    text NOT NULL UNIQUE,
    console_id  text NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE upload_marks (
    source_id   integer NOT NULL REFERENCES jope_sources,
    stream      text NOT NULL,
    high_water  bigint NOT NULL DEFAULT 0,
    rows_total  bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, stream)
);

-- samples: a hypertable with a 7-year retention policy when TimescaleDB is
-- installed in this database, else a table range-partitioned by month whose
-- partitions the console creates ahead (jope_ensure_partitions) and drops
-- after 7 years (jope_drop_old_partitions).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        CREATE TABLE samples (
            time        timestamptz NOT NULL,
            point_id    text NOT NULL,
            value       double precision,
            quality     smallint NOT NULL,
            batch_id    text,
            source_id   integer NOT NULL,
            seq         bigint NOT NULL
        );
        PERFORM create_hypertable('samples', 'time',
            chunk_time_interval => interval '7 days');
        PERFORM add_retention_policy('samples', interval '7 years');
    ELSE
        CREATE TABLE samples (
            time        timestamptz NOT NULL,
            point_id    text NOT NULL,
            value       double precision,
            quality     smallint NOT NULL,
            batch_id    text,
            source_id   integer NOT NULL,
            seq         bigint NOT NULL
        ) PARTITION BY RANGE (time);
    END IF;
END
$$;

CREATE INDEX samples_point_time ON samples (point_id, time);

CREATE TABLE collection_errors (
    time        timestamptz NOT NULL,
    device_id   text NOT NULL,
    point_id    text,
    code        integer NOT NULL,
    detail      integer NOT NULL,
    description text,
    source_id   integer NOT NULL,
    seq         bigint NOT NULL,
    PRIMARY KEY (source_id, seq)
);
CREATE INDEX collection_errors_time ON collection_errors (time);

-- Raman spectra as read: pixels as little-endian float64, as in the spool.
CREATE TABLE spectra (
    time        timestamptz NOT NULL,
    spectrum_id text NOT NULL,
    pixels      integer NOT NULL,
    data        bytea NOT NULL,
    batch_id    text,
    source_id   integer NOT NULL,
    seq         bigint NOT NULL,
    PRIMARY KEY (source_id, seq)
);
CREATE INDEX spectra_id_time ON spectra (spectrum_id, time);

-- Create the monthly partitions of samples that cover [from_ts, to_ts]; the
-- number created.  A no-op on a hypertable.  The advisory lock lets two
-- consoles create the same month at once without either failing.
CREATE FUNCTION jope_ensure_partitions(from_ts timestamptz, to_ts timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    m       timestamp;
    name    text;
    created integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table
                   WHERE partrelid = 'samples'::regclass) THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('jope_ensure_partitions'));
    m := date_trunc('month', from_ts AT TIME ZONE 'UTC');
    WHILE m <= (to_ts AT TIME ZONE 'UTC') LOOP
        name := 'samples_' || to_char(m, 'YYYYMM');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF samples'
                ' FOR VALUES FROM (%L) TO (%L)', name,
                (m AT TIME ZONE 'UTC'),
                ((m + interval '1 month') AT TIME ZONE 'UTC'));
            created := created + 1;
        END IF;
        m := m + interval '1 month';
    END LOOP;
    RETURN created;
END
$$;

-- Drop the partitions of samples that end before now() - keep, and delete
-- older errors and spectra; the number of partitions dropped.
CREATE FUNCTION jope_drop_old_partitions(keep interval)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r       record;
    dropped integer := 0;
BEGIN
    DELETE FROM collection_errors WHERE time < now() - keep;
    DELETE FROM spectra WHERE time < now() - keep;
    IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table
                   WHERE partrelid = 'samples'::regclass) THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('jope_ensure_partitions'));
    FOR r IN
        SELECT c.relname
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'samples'::regclass
          AND c.relname ~ '^samples_[0-9]{6}$'
    LOOP
        IF (to_date(substr(r.relname, 9), 'YYYYMM')::timestamp
            + interval '1 month') AT TIME ZONE 'UTC' <= now() - keep THEN
            EXECUTE format('DROP TABLE %I', r.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END
$$;
