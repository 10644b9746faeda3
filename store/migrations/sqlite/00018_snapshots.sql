-- +goose Up
-- snapshots: camera pictures of candidates during attempts; the JPEG is in
-- the blob store under blob_key. taken_at is the server's time (ms).
-- room_id is '' for an exam proctored without a room.
CREATE TABLE snapshots (
    id         TEXT PRIMARY KEY,
    attempt_id TEXT NOT NULL REFERENCES attempts (id),
    exam_id    TEXT NOT NULL,
    room_id    TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL,
    taken_at   BIGINT NOT NULL,
    size       BIGINT NOT NULL,
    blob_key   TEXT NOT NULL
);
CREATE INDEX snapshots_attempt ON snapshots (attempt_id, taken_at);

-- +goose Down
DROP TABLE snapshots;
