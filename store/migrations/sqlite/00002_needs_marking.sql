-- +goose Up
-- An in-progress attempt is graded whenever it changes (its marks and score
-- kept with its answers), so that a submit only closes it. needs_marking:
-- its paper has short answers, so it waits for a marker once submitted.
-- Migration 3 (Go, store/migrate.go) grades the attempts in progress now.
ALTER TABLE attempts ADD COLUMN needs_marking BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE attempts DROP COLUMN needs_marking;
