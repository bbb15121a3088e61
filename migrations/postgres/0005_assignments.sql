-- Assignments (#14): the assignments added from their folders, who got the
-- starter code, extensions and standing accommodations, submissions (the
-- snapshots themselves live under the data dir; here their hash and time) and
-- grades. Keep it equivalent to migrations/sqlite/0005_assignments.sql.

CREATE TABLE assignments (
    name                 TEXT             PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 64),
    title                TEXT             NOT NULL,
    due_at               TIMESTAMPTZ      NOT NULL,
    late_until           TIMESTAMPTZ,          -- NULL: no late submissions
    late_penalty         DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (late_penalty BETWEEN 0 AND 1),
    config               TEXT             NOT NULL, -- assignment.toml as added
    digest               TEXT             NOT NULL, -- SHA-256 of the folder as added
    source_dir           TEXT             NOT NULL,
    created_at           TIMESTAMPTZ      NOT NULL,
    updated_at           TIMESTAMPTZ      NOT NULL,
    released_at          TIMESTAMPTZ,          -- NULL: starter code not released
    feedback_released_at TIMESTAMPTZ           -- NULL: students do not see results
);

-- The students who got an assignment's starter code (and when): a student
-- added after the release gets it at their next login.
CREATE TABLE assignment_releases (
    assignment  TEXT        NOT NULL REFERENCES assignments (name) ON DELETE CASCADE,
    username    TEXT        NOT NULL REFERENCES users (username),
    released_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (assignment, username)
);

-- One student's own deadline for one assignment.
CREATE TABLE extensions (
    assignment TEXT        NOT NULL REFERENCES assignments (name) ON DELETE CASCADE,
    username   TEXT        NOT NULL REFERENCES users (username),
    until_at   TIMESTAMPTZ NOT NULL,
    granted_by TEXT        NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (assignment, username)
);

-- A standing accommodation: extra days on every assignment's deadline.
CREATE TABLE accommodations (
    username   TEXT        PRIMARY KEY REFERENCES users (username),
    extra_days INTEGER     NOT NULL CHECK (extra_days BETWEEN 0 AND 365),
    set_by     TEXT        NOT NULL,
    set_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE submissions (
    id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment   TEXT        NOT NULL REFERENCES assignments (name) ON DELETE CASCADE,
    username     TEXT        NOT NULL REFERENCES users (username),
    submitted_at TIMESTAMPTZ NOT NULL,
    sha256       TEXT        NOT NULL CHECK (char_length(sha256) = 64),
    files        INTEGER     NOT NULL CHECK (files >= 0),
    bytes        BIGINT      NOT NULL CHECK (bytes >= 0),
    automatic    BOOLEAN     NOT NULL DEFAULT false, -- collected at the deadline
    late         BOOLEAN     NOT NULL DEFAULT false,
    path         TEXT        NOT NULL  -- the snapshot, relative to the data dir
);
CREATE INDEX submissions_student ON submissions (assignment, username, id);

-- The latest grading of a student's submission (a re-grade replaces it).
CREATE TABLE grades (
    assignment    TEXT             NOT NULL REFERENCES assignments (name) ON DELETE CASCADE,
    username      TEXT             NOT NULL REFERENCES users (username),
    submission_id BIGINT           REFERENCES submissions (id),
    score         DOUBLE PRECISION NOT NULL,
    max_score     DOUBLE PRECISION NOT NULL,
    status        TEXT             NOT NULL,  -- "graded" or "error ..."
    results       TEXT             NOT NULL,  -- results.json
    graded_at     TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (assignment, username)
);
