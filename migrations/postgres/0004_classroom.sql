-- The classroom during a lab: announcements shown as a banner to every student, and
-- the help queue. Keep it equivalent to migrations/sqlite/0004_classroom.sql.
-- People are named by username (users are disabled, never deleted, so the references hold).

CREATE TABLE announcements (
    id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author       TEXT        NOT NULL REFERENCES users (username),
    text         TEXT        NOT NULL CHECK (char_length(text) BETWEEN 1 AND 500),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ,           -- NULL: shown until retracted
    retracted_at TIMESTAMPTZ,           -- NULL: not retracted
    retracted_by TEXT        REFERENCES users (username),
    CHECK ((retracted_at IS NULL) = (retracted_by IS NULL))
);

-- The active ones are few and recent; history pages newest first.
CREATE INDEX announcements_active ON announcements (id) WHERE retracted_at IS NULL;
CREATE INDEX announcements_created ON announcements (created_at DESC, id DESC);

-- A user who closed a banner does not see it again, on any of their connections.
CREATE TABLE announcement_dismissals (
    announcement_id BIGINT      NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    username        TEXT        NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    dismissed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (announcement_id, username)
);

-- The help queue. A request is open until it is resolved or cancelled; the queue's
-- order is id order (ids are handed out under an advisory lock, so in commit order).
CREATE TABLE help_requests (
    id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    student      TEXT        NOT NULL REFERENCES users (username),
    question     TEXT        NOT NULL DEFAULT '' CHECK (char_length(question) <= 200),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_by   TEXT        REFERENCES users (username),
    claimed_at   TIMESTAMPTZ,
    resolved_by  TEXT        REFERENCES users (username),
    resolved_at  TIMESTAMPTZ,
    cancelled_at TIMESTAMPTZ,
    CHECK ((claimed_by IS NULL) = (claimed_at IS NULL)),
    CHECK ((resolved_by IS NULL) = (resolved_at IS NULL)),
    CHECK (resolved_at IS NULL OR cancelled_at IS NULL)
);

-- At most one open request per student, whatever the application does.
CREATE UNIQUE INDEX help_requests_one_open ON help_requests (student)
    WHERE resolved_at IS NULL AND cancelled_at IS NULL;
-- The open queue in order.
CREATE INDEX help_requests_open ON help_requests (id)
    WHERE resolved_at IS NULL AND cancelled_at IS NULL;
