-- Browser logins. The cookie holds a random token; only its SHA-256 (hex) is stored,
-- so a copy of the database lets nobody in. A session slides: every use moves
-- expires_at forward. Deleting the user deletes their sessions.
CREATE TABLE web_sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT    NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    remote       TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Revoking a user's sessions, and the foreign-key check on cascade.
CREATE INDEX web_sessions_user_id ON web_sessions (user_id);
-- Sweeping expired sessions.
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
