-- +goose Up
-- The audit log: one row per staff write (admins and invigilators, through
-- any surface), inserted in the write's own transaction, so a write that
-- rolls back leaves none. Append-only: triggers refuse updates and deletes.
CREATE TABLE audit_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
