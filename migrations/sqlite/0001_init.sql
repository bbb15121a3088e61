-- Initial schema. Timestamps are INTEGER unix microseconds UTC: exact, sortable,
-- and the same precision as PostgreSQL's TIMESTAMPTZ. STRICT makes SQLite reject
-- values of the wrong type instead of storing them.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    full_name     TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL DEFAULT 'student' CHECK (role IN ('student', 'professor')),
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER            -- NULL until the first login
) STRICT;

CREATE TABLE ssh_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint TEXT    NOT NULL UNIQUE, -- unique across users: a key identifies one person
    public_key  TEXT    NOT NULL,
    comment     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
) STRICT;

-- Listing a user's keys and the foreign-key check on cascade.
CREATE INDEX ssh_keys_user_id ON ssh_keys (user_id);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL DEFAULT '',
    action  TEXT    NOT NULL,
    target  TEXT    NOT NULL DEFAULT '',
    remote  TEXT    NOT NULL DEFAULT '',
    outcome TEXT    NOT NULL,
    detail  TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Newest first, overall and per user (the filter matches actor OR target, so
-- each side has its own index and the planner unions them).
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor_at ON audit_log (actor, at, id);
CREATE INDEX audit_log_target_at ON audit_log (target, at, id);

-- Login throttling counters, one row per (scope, key), e.g. ('ip', '192.0.2.7').
CREATE TABLE login_failures (
    scope        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    last_failure INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;
