-- +goose Up
-- Closing an attempt writes a new version of its row with an entry in every
-- index (the status changes, so the update is never HOT): one index fewer
-- is one write fewer per submit. (user_id, exam_id, seq) keeps the slots
-- unique and serves both the (exam, user) lookups and a user's attempts, of
-- which there are few to sort, so attempts_user goes. SQLite updates only
-- the indexes whose columns change, which these are not, and cannot drop a
-- table constraint, so it keeps both.
ALTER TABLE attempts DROP CONSTRAINT attempts_exam_id_user_id_seq_key;
ALTER TABLE attempts ADD CONSTRAINT attempts_user_exam_seq UNIQUE (user_id, exam_id, seq);
DROP INDEX attempts_user;

-- +goose Down
CREATE INDEX attempts_user ON attempts (user_id, begin_time);
ALTER TABLE attempts DROP CONSTRAINT attempts_user_exam_seq;
ALTER TABLE attempts ADD CONSTRAINT attempts_exam_id_user_id_seq_key UNIQUE (exam_id, user_id, seq);
