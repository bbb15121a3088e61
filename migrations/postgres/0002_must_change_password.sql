-- A password that classroomd generated (user add, import, a professor's reset) must be
-- changed by its owner at the next login.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false;
