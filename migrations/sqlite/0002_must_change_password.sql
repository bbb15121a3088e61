-- A password that classroomd generated (user add, import, a professor's reset) must be
-- changed by its owner at the next login.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));
