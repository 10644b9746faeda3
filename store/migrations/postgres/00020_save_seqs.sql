-- +goose Up
-- save_seqs: the last save number applied from each device (browser) of
-- the candidate, a JSON object {device: seq}. A page numbers its saves, so a
-- retried save is applied once and an older one never overwrites a newer.
ALTER TABLE attempts ADD COLUMN save_seqs TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE attempts DROP COLUMN save_seqs;
