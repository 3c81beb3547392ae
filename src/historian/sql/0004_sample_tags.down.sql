-- 0004_sample_tags, down.
ALTER TABLE samples DROP COLUMN tag;
