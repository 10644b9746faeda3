-- +goose Up
-- creator: who last set an exam's cheat config (a user ID), as the vendor's
-- getCheatConfig answers it; '' for configs set before this column.
ALTER TABLE cheat_configs ADD COLUMN creator TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE cheat_configs DROP COLUMN creator;
