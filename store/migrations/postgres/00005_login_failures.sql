-- +goose Up
-- Failed logins per account (lower-cased), shared by every process using
-- the store, so that replicas throttle the same guesses (auth.Service).
-- first_at (ms) is when the current count began; old rows are deleted as
-- failures are added.
CREATE TABLE login_failures (
    account  TEXT PRIMARY KEY,
    count    INTEGER NOT NULL,
    first_at BIGINT NOT NULL
);
CREATE INDEX login_failures_first ON login_failures (first_at);

-- +goose Down
DROP TABLE login_failures;
