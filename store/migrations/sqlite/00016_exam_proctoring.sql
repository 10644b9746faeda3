-- +goose Up
-- Per-exam proctoring settings (examhall.Proctoring): proctoring_enabled
-- proctors an exam without a room; switch_limit (0 off) submits an attempt
-- after that many page switches; switch_max_seconds (0 off): a longer
-- absence is a violation; snapshot_seconds is the camera snapshot interval.
ALTER TABLE exams ADD COLUMN proctoring_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exams ADD COLUMN switch_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exams ADD COLUMN switch_max_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exams ADD COLUMN require_fullscreen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exams ADD COLUMN snapshot_seconds INTEGER NOT NULL DEFAULT 30;
ALTER TABLE exams ADD COLUMN face_check INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE exams DROP COLUMN face_check;
ALTER TABLE exams DROP COLUMN snapshot_seconds;
ALTER TABLE exams DROP COLUMN require_fullscreen;
ALTER TABLE exams DROP COLUMN switch_max_seconds;
ALTER TABLE exams DROP COLUMN switch_limit;
ALTER TABLE exams DROP COLUMN proctoring_enabled;
