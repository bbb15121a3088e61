-- Initial schema. Keep it equivalent to migrations/sqlite/0001_init.sql.

CREATE TABLE users (
    id            BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT        NOT NULL UNIQUE,
    full_name     TEXT        NOT NULL DEFAULT '',
    email         TEXT        NOT NULL DEFAULT '',
    role          TEXT        NOT NULL DEFAULT 'student' CHECK (role IN ('student', 'professor')),
    password_hash TEXT        NOT NULL,
    disabled      BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at TIMESTAMPTZ            -- NULL until the first login
);

CREATE TABLE ssh_keys (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint TEXT        NOT NULL UNIQUE, -- unique across users: a key identifies one person
    public_key  TEXT        NOT NULL,
    comment     TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Listing a user's keys and the foreign-key check on cascade.
CREATE INDEX ssh_keys_user_id ON ssh_keys (user_id);

CREATE TABLE audit_log (
    id      BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor   TEXT        NOT NULL DEFAULT '',
    action  TEXT        NOT NULL,
    target  TEXT        NOT NULL DEFAULT '',
    remote  TEXT        NOT NULL DEFAULT '',
    outcome TEXT        NOT NULL,
    detail  TEXT        NOT NULL DEFAULT ''
);

-- Newest first, overall and per user (the filter matches actor OR target, so
-- each side has its own index and the planner combines them).
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_at ON audit_log (actor, at DESC, id DESC);
CREATE INDEX audit_log_target_at ON audit_log (target, at DESC, id DESC);

-- Login throttling counters, one row per (scope, key), e.g. ('ip', '192.0.2.7').
CREATE TABLE login_failures (
    scope        TEXT        NOT NULL,
    key          TEXT        NOT NULL,
    count        INTEGER     NOT NULL,
    last_failure TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);
