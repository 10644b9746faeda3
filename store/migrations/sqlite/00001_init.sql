-- +goose Up
-- Times are Unix milliseconds in UTC (BIGINT) in both dialects, so one query
-- text serves SQLite and PostgreSQL and no driver converts zones. 0 = unset.

-- departments: the organisation tree. path is the names from the root joined
-- by '/', kept in step on rename and move; it is unique, so sibling names are.
-- path sorts bytewise (SQLite's BINARY; PostgreSQL says COLLATE "C"), so that
-- ordering by path keeps every subtree together.
CREATE TABLE departments (
    id         TEXT PRIMARY KEY,
    parent_id  TEXT REFERENCES departments (id),
    name       TEXT NOT NULL,
    path       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX departments_parent ON departments (parent_id);

-- users: everyone who logs in. password_hash is bcrypt, '' when the user has
-- no password (examinees who join only through links).
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    account       TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'invigilator', 'examinee')),
    dept_id       TEXT REFERENCES departments (id),
    password_hash TEXT NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX users_dept ON users (dept_id);

-- exams: an exam's window and rules; paper_score is the sum of its questions.
CREATE TABLE exams (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    begin_time        BIGINT NOT NULL,
    end_time          BIGINT NOT NULL,
    answer_minutes    INTEGER NOT NULL,
    pass_score        REAL NOT NULL,
    paper_score       REAL NOT NULL,
    allow_times       INTEGER NOT NULL,
    integral_rate     REAL NOT NULL,
    shuffle_questions INTEGER NOT NULL,
    shuffle_options   INTEGER NOT NULL,
    partial_credit    INTEGER NOT NULL,
    audience          TEXT NOT NULL CHECK (audience IN ('all', 'depts', 'users')),
    status            TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    created_by        TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX exams_status_created ON exams (status, created_at);

-- exam_audience_depts / _users: who may take an exam whose audience is
-- 'depts' (these departments and everything below them) or 'users'.
CREATE TABLE exam_audience_depts (
    exam_id TEXT NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    dept_id TEXT NOT NULL REFERENCES departments (id),
    PRIMARY KEY (exam_id, dept_id)
);
-- A candidate's exam list looks audiences up by their department's ancestors.
CREATE INDEX exam_audience_depts_dept ON exam_audience_depts (dept_id);
CREATE TABLE exam_audience_users (
    exam_id TEXT NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (exam_id, user_id)
);
CREATE INDEX exam_audience_users_user ON exam_audience_users (user_id);

-- questions: an exam's paper in order; body is the examhall.Question as JSON
-- (answers included; never sent to candidates).
CREATE TABLE questions (
    exam_id TEXT NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    id      TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (exam_id, seq),
    UNIQUE (exam_id, id)
);

-- exam_overrides: one candidate's accommodations (0 = unset for the times).
CREATE TABLE exam_overrides (
    exam_id        TEXT NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id),
    extra_attempts INTEGER NOT NULL DEFAULT 0,
    extra_minutes  INTEGER NOT NULL DEFAULT 0,
    begin_time     BIGINT NOT NULL DEFAULT 0,
    end_time       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (exam_id, user_id)
);

-- attempts: one sitting each. seq numbers a candidate's attempts of an exam
-- (unique, so concurrent starts cannot both take the same slot); at most one
-- attempt per candidate and exam is in progress (partial unique index).
-- answers and marks are JSON objects keyed by question ID. end_time is 0
-- exactly while the attempt is in progress; saved_at (the last autosave)
-- grows with every save, so a submit that graded a read can tell that it
-- was saved again since.
CREATE TABLE attempts (
    id           TEXT PRIMARY KEY,
    exam_id      TEXT NOT NULL REFERENCES exams (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    seq          INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('in_progress', 'marking', 'marked', 'published')),
    begin_time   BIGINT NOT NULL,
    deadline     BIGINT NOT NULL,
    end_time     BIGINT NOT NULL DEFAULT 0,
    used_seconds INTEGER NOT NULL DEFAULT 0,
    score        REAL NOT NULL DEFAULT 0,
    passed       INTEGER NOT NULL DEFAULT 0,
    integral     REAL NOT NULL DEFAULT 0,
    seed         BIGINT NOT NULL,
    answers      TEXT NOT NULL DEFAULT '{}',
    marks        TEXT NOT NULL DEFAULT '{}',
    saved_at     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (exam_id, user_id, seq)
);
CREATE UNIQUE INDEX attempts_one_in_progress ON attempts (exam_id, user_id) WHERE status = 'in_progress';
-- Listings newest first, by candidate and by exam; neither changes when an
-- attempt is submitted, which keeps the hottest write small.
CREATE INDEX attempts_user ON attempts (user_id, begin_time);
CREATE INDEX attempts_exam_begin ON attempts (exam_id, begin_time);
-- The reaper's probe: only in-progress attempts, by deadline.
CREATE INDEX attempts_deadline ON attempts (deadline) WHERE status = 'in_progress';
-- Marked attempts waiting to be published.
CREATE INDEX attempts_marked ON attempts (exam_id) WHERE status = 'marked';
-- The ranking order of the open API: score desc, used time asc.
CREATE INDEX attempts_ranked ON attempts (exam_id, score DESC, used_seconds, id) WHERE status = 'published';

-- exam_stats: running totals over published attempts, updated in the
-- transaction that publishes, so lists never scan attempts.
CREATE TABLE exam_stats (
    exam_id    TEXT PRIMARY KEY REFERENCES exams (id) ON DELETE CASCADE,
    attend_num INTEGER NOT NULL DEFAULT 0,
    pass_num   INTEGER NOT NULL DEFAULT 0,
    score_sum  REAL NOT NULL DEFAULT 0,
    max_score  REAL NOT NULL DEFAULT 0,
    min_score  REAL NOT NULL DEFAULT 0
);

-- rooms: proctored rooms. status 0 running / 1 ended; audio_status 0 / 1.
CREATE TABLE rooms (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    exam_id      TEXT NOT NULL REFERENCES exams (id),
    status       INTEGER NOT NULL DEFAULT 0,
    audio_status INTEGER NOT NULL DEFAULT 0,
    im_group_id  TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX rooms_exam ON rooms (exam_id);
CREATE INDEX rooms_creator ON rooms (created_by);

-- room_members: a room's roster; user_status is set by stream callbacks.
CREATE TABLE room_members (
    room_id     TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL CHECK (role IN ('invigilator', 'examinee')),
    user_status INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user ON room_members (user_id);

-- audios: the audio library.
CREATE TABLE audios (
    id         TEXT PRIMARY KEY,
    classify   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    oss_url    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX audios_classify_name ON audios (classify, name);

-- exam_broadcasts: clips played in an exam's rooms at start_time (radioInfo).
CREATE TABLE exam_broadcasts (
    exam_id    TEXT NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    audio_id   TEXT NOT NULL REFERENCES audios (id),
    start_time BIGINT NOT NULL,
    PRIMARY KEY (exam_id, seq)
);
CREATE INDEX exam_broadcasts_audio ON exam_broadcasts (audio_id);

-- exam_playlist: clips an invigilator plays by hand (audioInfo), in order.
CREATE TABLE exam_playlist (
    exam_id  TEXT NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    audio_id TEXT NOT NULL REFERENCES audios (id),
    PRIMARY KEY (exam_id, seq)
);
CREATE INDEX exam_playlist_audio ON exam_playlist (audio_id);

-- cheat_configs: an exam's detection config, opaque client JSON.
CREATE TABLE cheat_configs (
    exam_id    TEXT PRIMARY KEY REFERENCES exams (id) ON DELETE CASCADE,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- cheat_records: detection events, append only. No foreign keys: the handler
-- checks the room before a batch, and ingestion is the hottest write path.
-- detect_time is the client's ms value as sent.
CREATE TABLE cheat_records (
    id              INTEGER PRIMARY KEY,
    exam_id         TEXT NOT NULL,
    room_id         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    detect_type     TEXT NOT NULL,
    is_main_monitor INTEGER NOT NULL,
    detect_time     BIGINT NOT NULL,
    extra_info      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX cheat_records_room ON cheat_records (room_id, id);
CREATE INDEX cheat_records_exam ON cheat_records (exam_id, id);

-- apps: open-API credentials; secret_hash is hex sha256 of the secret.
CREATE TABLE apps (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE apps;
DROP TABLE cheat_records;
DROP TABLE cheat_configs;
DROP TABLE exam_playlist;
DROP TABLE exam_broadcasts;
DROP TABLE audios;
DROP TABLE room_members;
DROP TABLE rooms;
DROP TABLE exam_stats;
DROP TABLE attempts;
DROP TABLE exam_overrides;
DROP TABLE questions;
DROP TABLE exam_audience_users;
DROP TABLE exam_audience_depts;
DROP TABLE exams;
DROP TABLE users;
DROP TABLE departments;
