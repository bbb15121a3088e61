-- Browser logins. Keep it equivalent to migrations/sqlite/0003_web_sessions.sql.
-- The cookie holds a random token; only its SHA-256 (hex) is stored.
CREATE TABLE web_sessions (
    id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   TEXT        NOT NULL UNIQUE,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    remote       TEXT        NOT NULL DEFAULT ''
);

-- Revoking a user's sessions, and the foreign-key check on cascade.
CREATE INDEX web_sessions_user_id ON web_sessions (user_id);
-- Sweeping expired sessions.
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
