// Package postgres is the production store backend on PostgreSQL, through a
// pgx/v5 connection pool. Several server nodes and the command line may share
// one database.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/migrations"
)

// migrateLockKey is the pg_advisory_xact_lock key that serialises Migrate
// across processes. Advisory locks are per database, so any constant that
// other software on the same database is unlikely to pick will do.
const migrateLockKey int64 = 0x636c617373726d64 // "classrmd"

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://... or key=value form) and
// checks that it answers. It does not migrate: call Migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included; say only what failed.
		return nil, errors.New("open postgres database: cannot parse the database URL; expected postgres://user@host:port/dbname?sslmode=...")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres database %s: %w", describe(cfg), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres database %s: %w", describe(cfg), err)
	}
	return &Store{pool: pool}, nil
}

// describe names the database for error messages without the password.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Close closes every connection of the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres database: %w", err)
	}
	return nil
}

// Migrate applies the pending embedded migrations, each in its own
// transaction that first takes an advisory lock, so nodes starting together
// apply each migration exactly once.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := migrations.List(migrations.Postgres)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := []string{}
	for _, m := range ms {
		done, err := s.migrateOne(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migrate %s_%s: %w", m.Version, m.Name, err)
		}
		if done {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// migrateOne applies m unless it is recorded already, and reports whether it did.
func (s *Store) migrateOne(ctx context.Context, m migrations.Migration) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	// Under the lock, so that concurrent CREATE TABLE IF NOT EXISTS cannot
	// collide either.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLockKey); err != nil {
		return false, fmt.Errorf("take migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    TEXT        NOT NULL PRIMARY KEY,
		name       TEXT        NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", m.Version).Scan(&exists); err != nil {
		return false, fmt.Errorf("read schema_migrations: %w", err)
	}
	if exists {
		return false, nil
	}
	// Without arguments pgx uses the simple protocol, which runs a file of
	// several statements.
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
		return false, fmt.Errorf("record version: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}

const userColumns = "u.id, u.username, u.full_name, u.email, u.role, u.password_hash, u.disabled, u.must_change_password, u.created_at, u.last_login_at"

func scanUser(row pgx.Row) (store.User, error) {
	var (
		u         store.User
		role      string
		lastLogin *time.Time
	)
	if err := row.Scan(&u.ID, &u.Username, &u.FullName, &u.Email, &role, &u.PasswordHash, &u.Disabled, &u.MustChangePassword, &u.CreatedAt, &lastLogin); err != nil {
		return store.User{}, err
	}
	u.Role = store.Role(role)
	u.CreatedAt = u.CreatedAt.UTC()
	if lastLogin != nil {
		u.LastLoginAt = lastLogin.UTC()
	}
	return u, nil
}

// utc truncates t to the microsecond precision of TIMESTAMPTZ, so what a
// method returns equals what a later read returns.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// CreateUser inserts u and sets its ID, and its CreatedAt when zero (to now).
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	created := u.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	created = utc(created)
	var lastLogin *time.Time
	if !u.LastLoginAt.IsZero() {
		t := utc(u.LastLoginAt)
		lastLogin = &t
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO users
		(username, full_name, email, role, password_hash, disabled, must_change_password, created_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		u.Username, u.FullName, u.Email, string(u.Role), u.PasswordHash, u.Disabled, u.MustChangePassword, created, lastLogin).Scan(&id)
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, mapErr(err))
	}
	u.ID = id
	u.CreatedAt = created
	if lastLogin != nil {
		u.LastLoginAt = *lastLogin
	}
	return nil
}

// UserByName returns the user called username.
func (s *Store) UserByName(ctx context.Context, username string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users u WHERE u.username = $1", username))
	if err != nil {
		return store.User{}, fmt.Errorf("user %q: %w", username, mapErr(err))
	}
	return u, nil
}

// ListUsers returns every user ordered by username.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	// COLLATE "C" orders bytewise, as SQLite does, whatever the database's locale.
	rows, err := s.pool.Query(ctx, "SELECT "+userColumns+` FROM users u ORDER BY u.username COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users := []store.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// CountUsers returns the number of users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// updateUser runs a one-row UPDATE on users and maps "no row" to ErrNotFound.
func (s *Store) updateUser(ctx context.Context, what, username, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, username, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s %q: user %w", what, username, store.ErrNotFound)
	}
	return nil
}

// SetPasswordHash replaces the user's password hash and whether it must be changed.
func (s *Store) SetPasswordHash(ctx context.Context, username, hash string, mustChange bool) error {
	return s.updateUser(ctx, "set password of", username,
		"UPDATE users SET password_hash = $1, must_change_password = $2 WHERE username = $3", hash, mustChange, username)
}

// SetDisabled disables or re-enables the user.
func (s *Store) SetDisabled(ctx context.Context, username string, disabled bool) error {
	return s.updateUser(ctx, "set disabled of", username,
		"UPDATE users SET disabled = $1 WHERE username = $2", disabled, username)
}

// RecordLogin sets the user's last login time to at.
func (s *Store) RecordLogin(ctx context.Context, username string, at time.Time) error {
	return s.updateUser(ctx, "record login of", username,
		"UPDATE users SET last_login_at = $1 WHERE username = $2", utc(at), username)
}

// ImportUsers creates or updates every row in one transaction.
func (s *Store) ImportUsers(ctx context.Context, rows []store.UserImport) (store.ImportResult, error) {
	res := store.ImportResult{}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return store.ImportResult{}, fmt.Errorf("import users: %w", err)
	}
	defer tx.Rollback(ctx)
	now := utc(time.Now())
	for i, r := range rows {
		if err := checkImportRow(r); err != nil {
			return store.ImportResult{}, fmt.Errorf("import users: row %d (%q): %w", i+1, r.Username, err)
		}
		// Empty fields keep the current value. A user created concurrently
		// by someone else between this UPDATE and the INSERT below makes the
		// INSERT fail with ErrConflict and the whole import roll back.
		tag, err := tx.Exec(ctx, `UPDATE users SET
			full_name     = CASE WHEN $1 = '' THEN full_name     ELSE $1 END,
			email         = CASE WHEN $2 = '' THEN email         ELSE $2 END,
			role          = CASE WHEN $3 = '' THEN role          ELSE $3 END,
			password_hash = CASE WHEN $4 = '' THEN password_hash ELSE $4 END,
			must_change_password = CASE WHEN $4 = '' THEN must_change_password ELSE $6 END
			WHERE username = $5`,
			r.FullName, r.Email, string(r.Role), r.PasswordHash, r.Username, r.MustChangePassword)
		if err != nil {
			return store.ImportResult{}, fmt.Errorf("import users: update row %d (%q): %w", i+1, r.Username, mapErr(err))
		}
		if tag.RowsAffected() > 0 {
			res.Updated = append(res.Updated, r.Username)
			continue
		}
		if r.PasswordHash == "" {
			return store.ImportResult{}, fmt.Errorf("import users: row %d (%q): a new user needs a password hash", i+1, r.Username)
		}
		role := r.Role
		if role == "" {
			role = store.RoleStudent
		}
		if _, err := tx.Exec(ctx, `INSERT INTO users
			(username, full_name, email, role, password_hash, disabled, must_change_password, created_at)
			VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7)`,
			r.Username, r.FullName, r.Email, string(role), r.PasswordHash, r.MustChangePassword, now); err != nil {
			return store.ImportResult{}, fmt.Errorf("import users: create row %d (%q): %w", i+1, r.Username, mapErr(err))
		}
		res.Created = append(res.Created, r.Username)
	}
	if err := tx.Commit(ctx); err != nil {
		return store.ImportResult{}, fmt.Errorf("import users: commit: %w", mapErr(err))
	}
	return res, nil
}

// checkImportRow rejects rows the schema would reject anyway, with a clearer message.
func checkImportRow(r store.UserImport) error {
	if r.Username == "" {
		return errors.New("empty username")
	}
	if r.Role != "" && !r.Role.Valid() {
		return fmt.Errorf("unknown role %q", r.Role)
	}
	return nil
}

// AddPublicKey registers k for k.Username; CreatedAt defaults to now.
func (s *Store) AddPublicKey(ctx context.Context, k store.PublicKey) error {
	created := k.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	// INSERT ... SELECT inserts nothing when the user does not exist, which
	// tells "no such user" apart without a second round trip.
	tag, err := s.pool.Exec(ctx, `INSERT INTO ssh_keys (user_id, fingerprint, public_key, comment, created_at)
		SELECT id, $1, $2, $3, $4 FROM users WHERE username = $5`,
		k.Fingerprint, k.Key, k.Comment, utc(created), k.Username)
	if err != nil {
		return fmt.Errorf("add key %s for %q: %w", k.Fingerprint, k.Username, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("add key %s for %q: user %w", k.Fingerprint, k.Username, store.ErrNotFound)
	}
	return nil
}

// ListPublicKeys returns the user's keys, oldest first; ErrNotFound if there is no such user.
func (s *Store) ListPublicKeys(ctx context.Context, username string) ([]store.PublicKey, error) {
	// The LEFT JOIN yields one all-NULL key row for a user without keys and
	// no row at all for a missing user.
	rows, err := s.pool.Query(ctx, `SELECT k.id, k.fingerprint, k.public_key, k.comment, k.created_at
		FROM users u LEFT JOIN ssh_keys k ON k.user_id = u.id
		WHERE u.username = $1 ORDER BY k.created_at, k.id`, username)
	if err != nil {
		return nil, fmt.Errorf("list keys of %q: %w", username, err)
	}
	defer rows.Close()
	found := false
	keys := []store.PublicKey{}
	for rows.Next() {
		found = true
		var (
			id               *int64
			fp, key, comment *string
			created          *time.Time
		)
		if err := rows.Scan(&id, &fp, &key, &comment, &created); err != nil {
			return nil, fmt.Errorf("list keys of %q: %w", username, err)
		}
		if id == nil {
			continue
		}
		keys = append(keys, store.PublicKey{
			ID: *id, Username: username, Fingerprint: *fp, Key: *key,
			Comment: *comment, CreatedAt: created.UTC(),
		})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list keys of %q: %w", username, err)
	}
	if !found {
		return nil, fmt.Errorf("list keys of %q: user %w", username, store.ErrNotFound)
	}
	return keys, nil
}

// RemovePublicKey deletes the user's key with that fingerprint.
func (s *Store) RemovePublicKey(ctx context.Context, username, fingerprint string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM ssh_keys
		WHERE fingerprint = $1 AND user_id = (SELECT id FROM users WHERE username = $2)`, fingerprint, username)
	if err != nil {
		return fmt.Errorf("remove key %s of %q: %w", fingerprint, username, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("remove key %s of %q: key %w", fingerprint, username, store.ErrNotFound)
	}
	return nil
}

// UserByKeyFingerprint returns the owner of the key.
func (s *Store) UserByKeyFingerprint(ctx context.Context, fingerprint string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+
		" FROM ssh_keys k JOIN users u ON u.id = k.user_id WHERE k.fingerprint = $1", fingerprint))
	if err != nil {
		return store.User{}, fmt.Errorf("user of key %s: %w", fingerprint, mapErr(err))
	}
	return u, nil
}

// AppendAudit adds e to the audit log; a zero At means now.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO audit_log (at, actor, action, target, remote, outcome, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		utc(at), e.Actor, e.Action, e.Target, e.Remote, e.Outcome, e.Detail); err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	return nil
}

// defaultAuditLimit is the number of entries ListAudit returns when the filter gives none.
const defaultAuditLimit = 100

// ListAudit returns matching entries, newest first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	q := "SELECT id, at, actor, action, target, remote, outcome, detail FROM audit_log"
	args := []any{}
	if f.User != "" {
		q += " WHERE actor = $1 OR target = $1"
		args = append(args, f.User)
	}
	q += fmt.Sprintf(" ORDER BY at DESC, id DESC LIMIT $%d", len(args)+1)
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	entries := []store.AuditEntry{}
	for rows.Next() {
		var e store.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.Remote, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		e.At = e.At.UTC()
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return entries, nil
}

// RecordLoginFailure counts one failure in a single upsert, so concurrent
// failures (several connections or nodes) are never lost.
func (s *Store) RecordLoginFailure(ctx context.Context, scope, key string, at time.Time, window time.Duration) (store.FailureCount, error) {
	var fc store.FailureCount
	// last_failure keeps the latest time even if calls arrive out of order.
	err := s.pool.QueryRow(ctx, `INSERT INTO login_failures AS f (scope, key, count, last_failure)
		VALUES ($1, $2, 1, $3)
		ON CONFLICT (scope, key) DO UPDATE SET
			count        = CASE WHEN f.last_failure < $4 THEN 1 ELSE f.count + 1 END,
			last_failure = GREATEST(f.last_failure, excluded.last_failure)
		RETURNING count, last_failure`,
		scope, key, utc(at), utc(at.Add(-window))).Scan(&fc.Count, &fc.Last)
	if err != nil {
		return store.FailureCount{}, fmt.Errorf("record login failure %s %q: %w", scope, key, err)
	}
	fc.Last = fc.Last.UTC()
	return fc, nil
}

// LoginFailures reads a counter; an expired or missing one reads as zero.
func (s *Store) LoginFailures(ctx context.Context, scope, key string, now time.Time, window time.Duration) (store.FailureCount, error) {
	var fc store.FailureCount
	err := s.pool.QueryRow(ctx, `SELECT count, last_failure FROM login_failures
		WHERE scope = $1 AND key = $2 AND last_failure >= $3`,
		scope, key, utc(now.Add(-window))).Scan(&fc.Count, &fc.Last)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.FailureCount{}, nil
	}
	if err != nil {
		return store.FailureCount{}, fmt.Errorf("read login failures %s %q: %w", scope, key, err)
	}
	fc.Last = fc.Last.UTC()
	return fc, nil
}

// ClearLoginFailures forgets a counter; clearing a missing one is not an error.
func (s *Store) ClearLoginFailures(ctx context.Context, scope, key string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM login_failures WHERE scope = $1 AND key = $2", scope, key); err != nil {
		return fmt.Errorf("clear login failures %s %q: %w", scope, key, err)
	}
	return nil
}

// uniqueViolation is PostgreSQL's SQLSTATE for a duplicate key.
const uniqueViolation = "23505"

// mapErr turns driver errors callers must tell apart into store errors.
func mapErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == uniqueViolation {
		return fmt.Errorf("%w (%s)", store.ErrConflict, pe.Detail)
	}
	return err
}
