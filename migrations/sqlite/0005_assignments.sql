-- Assignments (#14): the assignments added from their folders, who got the
-- starter code, extensions and standing accommodations, submissions (the
-- snapshots themselves live under the data dir; here their hash and time) and
-- grades. Keep it equivalent to migrations/postgres/0005_assignments.sql.
-- Times are INTEGER unix microseconds UTC as in 0001.

CREATE TABLE assignments (
    name                 TEXT    PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    title                TEXT    NOT NULL,
    due_at               INTEGER NOT NULL,
    late_until           INTEGER,          -- NULL: no late submissions
    late_penalty         REAL    NOT NULL DEFAULT 0 CHECK (late_penalty BETWEEN 0 AND 1),
    config               TEXT    NOT NULL, -- assignment.toml as added
    digest               TEXT    NOT NULL, -- SHA-256 of the folder as added
    source_dir           TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    released_at          INTEGER,          -- NULL: starter code not released
    feedback_released_at INTEGER           -- NULL: students do not see results
) STRICT;

-- The students who got an assignment's starter code (and when): a student
-- added after the release gets it at their next login.
CREATE TABLE assignment_releases (
    assignment  TEXT    NOT NULL REFERENCES assignments (name) ON DELETE CASCADE,
    username    TEXT    NOT NULL REFERENCES users (username),
    released_at INTEGER NOT NULL,
    PRIMARY KEY (assignment, username)
) STRICT, WITHOUT ROWID;

-- One student's own deadline for one assignment.
CREATE TABLE extensions (
    assignment TEXT    NOT NULL REFERENCES assignments (name) ON DELETE CASCADE,
    username   TEXT    NOT NULL REFERENCES users (username),
    until_at   INTEGER NOT NULL,
    granted_by TEXT    NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (assignment, username)
) STRICT, WITHOUT ROWID;

-- A standing accommodation: extra days on every assignment's deadline.
CREATE TABLE accommodations (
    username   TEXT    PRIMARY KEY REFERENCES users (username),
    extra_days INTEGER NOT NULL CHECK (extra_days BETWEEN 0 AND 365),
    set_by     TEXT    NOT NULL,
    set_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE submissions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment   TEXT    NOT NULL REFERENCES assignments (name) ON DELETE CASCADE,
    username     TEXT    NOT NULL REFERENCES users (username),
    submitted_at INTEGER NOT NULL,
    sha256       TEXT    NOT NULL CHECK (length(sha256) = 64),
    files        INTEGER NOT NULL CHECK (files >= 0),
    bytes        INTEGER NOT NULL CHECK (bytes >= 0),
    automatic    INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)), -- collected at the deadline
    late         INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    path         TEXT    NOT NULL  -- the snapshot, relative to the data dir
) STRICT;
CREATE INDEX submissions_student ON submissions (assignment, username, id);

-- The latest grading of a student's submission (a re-grade replaces it).
CREATE TABLE grades (
    assignment    TEXT    NOT NULL REFERENCES assignments (name) ON DELETE CASCADE,
    username      TEXT    NOT NULL REFERENCES users (username),
    submission_id INTEGER REFERENCES submissions (id),
    score         REAL    NOT NULL,
    max_score     REAL    NOT NULL,
    status        TEXT    NOT NULL,  -- "graded" or "error ..."
    results       TEXT    NOT NULL,  -- results.json
    graded_at     INTEGER NOT NULL,
    PRIMARY KEY (assignment, username)
) STRICT, WITHOUT ROWID;
