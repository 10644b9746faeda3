-- +goose Up
-- The audit log: one row per staff write (admins and invigilators, through
-- any surface), inserted in the write's own transaction, so a write that
-- rolls back leaves none. Append-only: triggers refuse updates and deletes.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            BIGINT NOT NULL,             -- ms since the epoch, UTC
    actor_id      TEXT NOT NULL,               -- users.id (no foreign key: the log outlives users)
    actor_account TEXT NOT NULL,               -- the account at the time
    actor_role    TEXT NOT NULL,               -- admin or invigilator
    client_addr   TEXT NOT NULL DEFAULT '',    -- the client's IP, '' when not over HTTP
    object_type   TEXT NOT NULL,               -- user, exam, room, ...
    object_id     TEXT NOT NULL,
    action        TEXT NOT NULL,               -- create, update, delete, publish, ...
    before_json   TEXT NOT NULL DEFAULT '',    -- changed fields before (JSON object), '' for none
    after_json    TEXT NOT NULL DEFAULT ''     -- changed fields after (JSON object), '' for none
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- +goose Down
DROP TABLE audit_log;
