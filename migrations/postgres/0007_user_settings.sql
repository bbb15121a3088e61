-- A user's small preferences. Keep it equivalent to
-- migrations/sqlite/0007_user_settings.sql. The bounds repeat
-- store.CheckSetting's. Deleting the user deletes them.
CREATE TABLE user_settings (
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT        NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 64),
    value      TEXT        NOT NULL CHECK (octet_length(value) <= 256),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, name)
);
