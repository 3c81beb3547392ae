-- 0001_base, down: removes everything 0001_base.up.sql created, data included.
DROP FUNCTION jope_drop_old_partitions(interval);
DROP FUNCTION jope_ensure_partitions(timestamptz, timestamptz);
DROP TABLE spectra;
DROP TABLE collection_errors;
DROP TABLE samples;
DROP TABLE upload_marks;
DROP TABLE jope_sources;
