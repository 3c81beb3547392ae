-- 0002_audit_batches, down.
DROP TABLE batches;
DROP TABLE audit_events;
