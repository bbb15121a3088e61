-- One row that Ping rewrites, so that a readiness check is a real write:
-- a database file that still reads but no longer takes writes (a file system
-- remounted read-only, an immutable file, a full disk) shows as down before
-- a login or a help request fails on it. checked_at is the last time a probe
-- write succeeded (unix microseconds).
CREATE TABLE store_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
) STRICT;
