-- +goose Up
-- token_version ends a user's earlier sessions and join tokens: tokens carry
-- the version they were issued under, and a password reset, role change or
-- disable increments it (auth.Service.Authenticate compares the two).
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
-- login_failures now counts attempts under prefixed keys ("account:…",
-- "addr:…"), reserved before the password is checked; the old unprefixed
-- counts would never be read again.
DELETE FROM login_failures;

-- +goose Down
ALTER TABLE users DROP COLUMN token_version;
