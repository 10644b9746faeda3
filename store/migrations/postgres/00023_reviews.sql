-- +goose Up
-- attempts.invalid: a reviewer decided the attempt was a violation. Its
-- score stays (audit) but it leaves grades, ranks and exam_stats; the
-- ranking index covers only valid published attempts, so every ranking
-- query says "AND NOT invalid".
ALTER TABLE attempts ADD COLUMN invalid BOOLEAN NOT NULL DEFAULT FALSE;
DROP INDEX attempts_ranked;
CREATE INDEX attempts_ranked ON attempts (exam_id, score DESC, used_seconds, id)
    WHERE status = 'published' AND NOT invalid;

-- Attempts waiting for a marker, counted by the marking and results pages.
CREATE INDEX attempts_marking ON attempts (exam_id) WHERE status = 'marking';

-- attempt_reviews: the decision on a flagged attempt (clear, suspicious,
-- violation), who made it (reviewer_id, a user) and when (decided_at).
CREATE TABLE attempt_reviews (
    attempt_id  TEXT PRIMARY KEY REFERENCES attempts (id) ON DELETE CASCADE,
    decision    TEXT NOT NULL CHECK (decision IN ('clear', 'suspicious', 'violation')),
    comment     TEXT NOT NULL DEFAULT '',
    reviewer_id TEXT NOT NULL,
    decided_at  BIGINT NOT NULL
);

-- exam_results: the results page's aggregates that need more than the
-- ranking index (item analysis over the marks, departments), computed in
-- SQL on demand and kept while the exam's exam_stats row is unchanged:
-- attend_num, pass_num and score_sum are those it was computed at.
CREATE TABLE exam_results (
    exam_id     TEXT PRIMARY KEY REFERENCES exams (id) ON DELETE CASCADE,
    attend_num  INTEGER NOT NULL,
    pass_num    INTEGER NOT NULL,
    score_sum   DOUBLE PRECISION NOT NULL,
    body        TEXT NOT NULL,
    computed_at BIGINT NOT NULL
);

-- +goose Down
DROP INDEX attempts_marking;
DROP TABLE exam_results;
DROP TABLE attempt_reviews;
DROP INDEX attempts_ranked;
CREATE INDEX attempts_ranked ON attempts (exam_id, score DESC, used_seconds, id) WHERE status = 'published';
ALTER TABLE attempts DROP COLUMN invalid;
