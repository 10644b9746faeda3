-- +goose Up
-- switches: the page switches (切屏) of an attempt, counted as its signals
-- are recorded. cheat_records.attempt_id: the attempt a signal of the
-- proctoring pages belongs to ('' for the vendor clients' records), indexed
-- only where set so the vendor clients' inserts pay nothing for it.
ALTER TABLE attempts ADD COLUMN switches INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cheat_records ADD COLUMN attempt_id TEXT NOT NULL DEFAULT '';
CREATE INDEX cheat_records_attempt ON cheat_records (attempt_id, id) WHERE attempt_id <> '';

-- +goose Down
DROP INDEX cheat_records_attempt;
ALTER TABLE cheat_records DROP COLUMN attempt_id;
ALTER TABLE attempts DROP COLUMN switches;
