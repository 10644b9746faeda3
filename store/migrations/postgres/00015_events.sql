-- +goose Up
-- Real-time proctoring events (examhall.Event), stored so that a page that
-- reconnects replays what it missed: seq is their global order (visible in
-- increasing order: on PostgreSQL appends hold an advisory lock, see
-- store/event.go). room_id and user_id are '' for "no room" and "everyone";
-- data is the event's JSON object; created_at is Unix ms. There is no
-- foreign key: events are a log, trimmed by age (DB.DeleteEvents).
CREATE TABLE events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    exam_id    TEXT NOT NULL,
    room_id    TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX events_room ON events (room_id, seq) WHERE room_id <> '';
CREATE INDEX events_exam ON events (exam_id, seq);
CREATE INDEX events_created ON events (created_at);

-- +goose Down
DROP TABLE events;
