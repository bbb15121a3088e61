-- A user's small preferences, kept across connections (the figure protocol a
-- student chose with ctrl+F4, per transport: "figures.ssh", "figures.web").
-- The name is the code's; the value is checked by whoever reads it. The
-- bounds repeat store.CheckSetting's. Deleting the user deletes them.
CREATE TABLE user_settings (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 64),
    value      TEXT    NOT NULL CHECK (length(CAST(value AS BLOB)) <= 256),
    updated_at INTEGER NOT NULL, -- unix microseconds
    PRIMARY KEY (user_id, name)
) STRICT;
