-- 0004_sample_tags: what produced a derived sample.
--
-- A prediction of the inference host is stored as an ordinary sample of a
-- point named after the model's output; tag names the model and its
-- version ("smb-pls@2026.11.1") so that a value can always be traced to
-- the model that computed it.  NULL for measured values.  Adding a NULL
-- column is a catalogue change only: no rewrite of the partitions.
ALTER TABLE samples ADD COLUMN tag text;
