-- The classroom during a lab: announcements shown as a banner to every student, and
-- the help queue. Keep it equivalent to migrations/postgres/0004_classroom.sql.
-- People are named by username (users are disabled, never deleted, so the references
-- hold); times are INTEGER unix microseconds UTC as in 0001.

CREATE TABLE announcements (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    author       TEXT    NOT NULL REFERENCES users (username),
    text         TEXT    NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,           -- NULL: shown until retracted
    retracted_at INTEGER,           -- NULL: not retracted
    retracted_by TEXT    REFERENCES users (username),
    CHECK ((retracted_at IS NULL) = (retracted_by IS NULL))
) STRICT;

-- The active ones are few and recent; history pages newest first.
CREATE INDEX announcements_active ON announcements (id) WHERE retracted_at IS NULL;
CREATE INDEX announcements_created ON announcements (created_at, id);

-- A user who closed a banner does not see it again, on any of their connections.
CREATE TABLE announcement_dismissals (
    announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    username        TEXT    NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    dismissed_at    INTEGER NOT NULL,
    PRIMARY KEY (announcement_id, username)
) STRICT, WITHOUT ROWID;

-- The help queue. A request is open until it is resolved or cancelled; the queue's
-- order is id order (ids are handed out under the write lock, so in commit order).
CREATE TABLE help_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    student      TEXT    NOT NULL REFERENCES users (username),
    question     TEXT    NOT NULL DEFAULT '' CHECK (length(question) <= 200),
    created_at   INTEGER NOT NULL,
    claimed_by   TEXT    REFERENCES users (username),
    claimed_at   INTEGER,
    resolved_by  TEXT    REFERENCES users (username),
    resolved_at  INTEGER,
    cancelled_at INTEGER,
    CHECK ((claimed_by IS NULL) = (claimed_at IS NULL)),
    CHECK ((resolved_by IS NULL) = (resolved_at IS NULL)),
    CHECK (resolved_at IS NULL OR cancelled_at IS NULL)
) STRICT;

-- At most one open request per student, whatever the application does.
CREATE UNIQUE INDEX help_requests_one_open ON help_requests (student)
    WHERE resolved_at IS NULL AND cancelled_at IS NULL;
-- The open queue in order.
CREATE INDEX help_requests_open ON help_requests (id)
    WHERE resolved_at IS NULL AND cancelled_at IS NULL;
