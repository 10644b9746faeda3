-- +goose Up
-- proctor_actions: what invigilators did, with who (actor_id) and when:
-- type message|extend|force_submit|end_room; user_id is the candidate
-- concerned ('' for the whole room); detail the message text or the
-- minutes added.
CREATE TABLE proctor_actions (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    exam_id    TEXT NOT NULL,
    room_id    TEXT NOT NULL DEFAULT '',
    attempt_id TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL DEFAULT '',
    actor_id   TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX proctor_actions_room ON proctor_actions (room_id, created_at);
CREATE INDEX proctor_actions_attempt ON proctor_actions (attempt_id, created_at) WHERE attempt_id <> '';

-- +goose Down
DROP TABLE proctor_actions;
