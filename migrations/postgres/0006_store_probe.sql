-- One row that a readiness check may rewrite, so that it is a real write: a
-- database that still answers but takes no writes (read-only, a full disk)
-- shows as down. The SQLite store's Ping writes it; PostgreSQL's Ping only
-- pings so far. checked_at is the last probe write that succeeded.
CREATE TABLE store_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TIMESTAMPTZ NOT NULL
);
