// Package sqlite is the embedded store backend: one database file in the data
// directory, opened with modernc.org/sqlite (pure Go, no cgo).
//
// The server and the command line may open the same file at once. WAL lets
// readers run beside the single writer, busy_timeout makes a writer wait for
// the lock instead of failing, and every write transaction starts with
// BEGIN IMMEDIATE so it takes the write lock up front: a deferred transaction
// that read first and then tried to write could fail with SQLITE_BUSY without
// waiting, whatever the timeout.
//
// Timestamps are stored as INTEGER unix microseconds in UTC.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/migrations"
)

// busyTimeout is how long a statement waits for another connection's (or
// process's) lock before giving up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Store is a store.Store on a SQLite database file.
type Store struct {
	db *sql.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path. It does not
// migrate: call Migrate.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite database: empty path")
	}
	// The file holds password hashes: create it private. SQLite gives its -wal
	// and -shm files the same mode as the database file.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create sqlite database %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	// Idle connections keep their page cache; a few are enough for a classroom.
	db.SetMaxIdleConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// dsn builds a file: URI whose parameters the driver applies to every pooled
// connection. The path is escaped so that '?', '#' and '%' in it stay part of
// the path.
func dsn(path string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped +
		"?_pragma=" + fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()) +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_txlock=immediate"
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close sqlite database: %w", err)
	}
	return nil
}

// Ping checks that the database takes a write, not only that it reads: a
// file that became unwritable under the server (a file system remounted
// read-only after errors, an immutable file, a full disk) still answers
// SELECT, and logins (which record themselves and count failures), the help
// queue and the audit log would then fail one by one. The probe rewrites the
// one row of store_probe with the time: a commit of one page to the WAL, not
// synced (synchronous=NORMAL), at most once a second from the SSH banner's
// check plus each /readyz. An UPDATE that writes the same bytes would not do:
// SQLite skips writing a cell that did not change.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO store_probe (id, checked_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, micros(time.Now())); err != nil {
		return fmt.Errorf("ping sqlite database: %w", mapErr(err))
	}
	return nil
}

// Migrate applies the pending embedded migrations, each in its own
// transaction. Because transactions begin IMMEDIATE, a second process
// migrating at the same time waits and then sees the version recorded.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := migrations.List(migrations.SQLite)
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    TEXT    NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("read schema_migrations: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.Version, m.Name, micros(time.Now())); err != nil {
		return false, fmt.Errorf("record version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}

const userColumns = "u.id, u.username, u.full_name, u.email, u.role, u.password_hash, u.disabled, u.must_change_password, u.created_at, u.last_login_at"

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUser(sc scanner) (store.User, error) {
	var (
		u         store.User
		role      string
		created   int64
		lastLogin sql.NullInt64
	)
	if err := sc.Scan(&u.ID, &u.Username, &u.FullName, &u.Email, &role, &u.PasswordHash, &u.Disabled, &u.MustChangePassword, &created, &lastLogin); err != nil {
		return store.User{}, err
	}
	u.Role = store.Role(role)
	u.CreatedAt = fromMicros(created)
	if lastLogin.Valid {
		u.LastLoginAt = fromMicros(lastLogin.Int64)
	}
	return u, nil
}

// CreateUser inserts u and sets its ID, and its CreatedAt when zero (to now).
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	created := u.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC().Truncate(time.Microsecond)
	var lastLogin any
	if !u.LastLoginAt.IsZero() {
		lastLogin = micros(u.LastLoginAt)
	}
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO users
		(username, full_name, email, role, password_hash, disabled, must_change_password, created_at, last_login_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Username, u.FullName, u.Email, string(u.Role), u.PasswordHash, u.Disabled, u.MustChangePassword, micros(created), lastLogin).Scan(&id)
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, mapErr(err))
	}
	u.ID = id
	u.CreatedAt = created
	if !u.LastLoginAt.IsZero() {
		u.LastLoginAt = u.LastLoginAt.UTC().Truncate(time.Microsecond)
	}
	return nil
}

// UserByName returns the user called username.
func (s *Store) UserByName(ctx context.Context, username string) (store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users u WHERE u.username = ?", username))
	if err != nil {
		return store.User{}, fmt.Errorf("user %q: %w", username, mapErr(err))
	}
	return u, nil
}

// ListUsers returns every user ordered by username.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+userColumns+" FROM users u ORDER BY u.username")
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
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// updateUser runs a one-row UPDATE on users and maps "no row" to ErrNotFound.
func (s *Store) updateUser(ctx context.Context, what, username, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, username, mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, username, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %q: user %w", what, username, store.ErrNotFound)
	}
	return nil
}

// SetPasswordHash replaces the user's password hash and whether it must be changed.
func (s *Store) SetPasswordHash(ctx context.Context, username, hash string, mustChange bool) error {
	return s.updateUser(ctx, "set password of", username,
		"UPDATE users SET password_hash = ?, must_change_password = ? WHERE username = ?", hash, mustChange, username)
}

// SetDisabled disables or re-enables the user.
func (s *Store) SetDisabled(ctx context.Context, username string, disabled bool) error {
	return s.updateUser(ctx, "set disabled of", username,
		"UPDATE users SET disabled = ? WHERE username = ?", disabled, username)
}

// RecordLogin sets the user's last login time to at.
func (s *Store) RecordLogin(ctx context.Context, username string, at time.Time) error {
	return s.updateUser(ctx, "record login of", username,
		"UPDATE users SET last_login_at = ? WHERE username = ?", micros(at), username)
}

// ImportUsers creates or updates every row in one IMMEDIATE transaction.
func (s *Store) ImportUsers(ctx context.Context, rows []store.UserImport) (store.ImportResult, error) {
	res := store.ImportResult{}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return store.ImportResult{}, fmt.Errorf("import users: %w", faultErr(err))
	}
	defer tx.Rollback()
	now := micros(time.Now())
	for i, r := range rows {
		if err := checkImportRow(r); err != nil {
			return store.ImportResult{}, fmt.Errorf("import users: row %d (%q): %w", i+1, r.Username, err)
		}
		// Empty fields keep the current value; the CHECK constraint still
		// guards role.
		upd, err := tx.ExecContext(ctx, `UPDATE users SET
			full_name     = CASE WHEN ?1 = '' THEN full_name     ELSE ?1 END,
			email         = CASE WHEN ?2 = '' THEN email         ELSE ?2 END,
			role          = CASE WHEN ?3 = '' THEN role          ELSE ?3 END,
			password_hash = CASE WHEN ?4 = '' THEN password_hash ELSE ?4 END,
			must_change_password = CASE WHEN ?4 = '' THEN must_change_password ELSE ?6 END
			WHERE username = ?5`,
			r.FullName, r.Email, string(r.Role), r.PasswordHash, r.Username, r.MustChangePassword)
		if err != nil {
			return store.ImportResult{}, fmt.Errorf("import users: update row %d (%q): %w", i+1, r.Username, mapErr(err))
		}
		if n, err := upd.RowsAffected(); err != nil {
			return store.ImportResult{}, fmt.Errorf("import users: update row %d (%q): %w", i+1, r.Username, err)
		} else if n > 0 {
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO users
			(username, full_name, email, role, password_hash, disabled, must_change_password, created_at)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
			r.Username, r.FullName, r.Email, string(role), r.PasswordHash, r.MustChangePassword, now); err != nil {
			return store.ImportResult{}, fmt.Errorf("import users: create row %d (%q): %w", i+1, r.Username, mapErr(err))
		}
		res.Created = append(res.Created, r.Username)
	}
	if err := tx.Commit(); err != nil {
		return store.ImportResult{}, fmt.Errorf("import users: commit: %w", faultErr(err))
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
	res, err := s.db.ExecContext(ctx, `INSERT INTO ssh_keys (user_id, fingerprint, public_key, comment, created_at)
		SELECT id, ?, ?, ?, ? FROM users WHERE username = ?`,
		k.Fingerprint, k.Key, k.Comment, micros(created), k.Username)
	if err != nil {
		return fmt.Errorf("add key %s for %q: %w", k.Fingerprint, k.Username, mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("add key %s for %q: %w", k.Fingerprint, k.Username, err)
	} else if n == 0 {
		return fmt.Errorf("add key %s for %q: user %w", k.Fingerprint, k.Username, store.ErrNotFound)
	}
	return nil
}

// ListPublicKeys returns the user's keys, oldest first; ErrNotFound if there is no such user.
func (s *Store) ListPublicKeys(ctx context.Context, username string) ([]store.PublicKey, error) {
	// The LEFT JOIN yields one all-NULL key row for a user without keys and
	// no row at all for a missing user.
	rows, err := s.db.QueryContext(ctx, `SELECT k.id, k.fingerprint, k.public_key, k.comment, k.created_at
		FROM users u LEFT JOIN ssh_keys k ON k.user_id = u.id
		WHERE u.username = ? ORDER BY k.created_at, k.id`, username)
	if err != nil {
		return nil, fmt.Errorf("list keys of %q: %w", username, err)
	}
	defer rows.Close()
	found := false
	keys := []store.PublicKey{}
	for rows.Next() {
		found = true
		var (
			id               sql.NullInt64
			fp, key, comment sql.NullString
			created          sql.NullInt64
		)
		if err := rows.Scan(&id, &fp, &key, &comment, &created); err != nil {
			return nil, fmt.Errorf("list keys of %q: %w", username, err)
		}
		if !id.Valid {
			continue
		}
		keys = append(keys, store.PublicKey{
			ID: id.Int64, Username: username, Fingerprint: fp.String, Key: key.String,
			Comment: comment.String, CreatedAt: fromMicros(created.Int64),
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
	res, err := s.db.ExecContext(ctx, `DELETE FROM ssh_keys
		WHERE fingerprint = ? AND user_id = (SELECT id FROM users WHERE username = ?)`, fingerprint, username)
	if err != nil {
		return fmt.Errorf("remove key %s of %q: %w", fingerprint, username, faultErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("remove key %s of %q: %w", fingerprint, username, err)
	} else if n == 0 {
		return fmt.Errorf("remove key %s of %q: key %w", fingerprint, username, store.ErrNotFound)
	}
	return nil
}

// UserByKeyFingerprint returns the owner of the key.
func (s *Store) UserByKeyFingerprint(ctx context.Context, fingerprint string) (store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, "SELECT "+userColumns+
		" FROM ssh_keys k JOIN users u ON u.id = k.user_id WHERE k.fingerprint = ?", fingerprint))
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
	if _, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, remote, outcome, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		micros(at), e.Actor, e.Action, e.Target, e.Remote, e.Outcome, e.Detail); err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, faultErr(err))
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
		q += " WHERE actor = ? OR target = ?"
		args = append(args, f.User, f.User)
	}
	q += " ORDER BY at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	entries := []store.AuditEntry{}
	for rows.Next() {
		var (
			e  store.AuditEntry
			at int64
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Remote, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		e.At = fromMicros(at)
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return entries, nil
}

// RecordLoginFailure counts one failure in a single upsert, so concurrent
// failures (several connections or processes) are never lost.
func (s *Store) RecordLoginFailure(ctx context.Context, scope, key string, at time.Time, window time.Duration) (store.FailureCount, error) {
	var (
		count int
		last  int64
	)
	// last_failure keeps the latest time even if calls arrive out of order.
	err := s.db.QueryRowContext(ctx, `INSERT INTO login_failures (scope, key, count, last_failure)
		VALUES (?1, ?2, 1, ?3)
		ON CONFLICT (scope, key) DO UPDATE SET
			count        = CASE WHEN login_failures.last_failure < ?4 THEN 1 ELSE login_failures.count + 1 END,
			last_failure = max(login_failures.last_failure, excluded.last_failure)
		RETURNING count, last_failure`,
		scope, key, micros(at), micros(at.Add(-window))).Scan(&count, &last)
	if err != nil {
		return store.FailureCount{}, fmt.Errorf("record login failure %s %q: %w", scope, key, faultErr(err))
	}
	return store.FailureCount{Count: count, Last: fromMicros(last)}, nil
}

// LoginFailures reads a counter; an expired or missing one reads as zero.
func (s *Store) LoginFailures(ctx context.Context, scope, key string, now time.Time, window time.Duration) (store.FailureCount, error) {
	var (
		count int
		last  int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT count, last_failure FROM login_failures
		WHERE scope = ? AND key = ? AND last_failure >= ?`,
		scope, key, micros(now.Add(-window))).Scan(&count, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return store.FailureCount{}, nil
	}
	if err != nil {
		return store.FailureCount{}, fmt.Errorf("read login failures %s %q: %w", scope, key, err)
	}
	return store.FailureCount{Count: count, Last: fromMicros(last)}, nil
}

// ClearLoginFailures forgets a counter; clearing a missing one is not an error.
func (s *Store) ClearLoginFailures(ctx context.Context, scope, key string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM login_failures WHERE scope = ? AND key = ?", scope, key); err != nil {
		return fmt.Errorf("clear login failures %s %q: %w", scope, key, faultErr(err))
	}
	return nil
}

// mapErr turns driver errors callers must tell apart into store errors.
func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w (%v)", store.ErrConflict, err)
		}
	}
	return faultErr(err)
}

// faultErr names a write that failed on the disk rather than on the data:
// a full disk, or a file or file system that takes no writes (a read-only
// remount, an immutable file, an I/O error), so that callers can say so.
func faultErr(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	// Extended codes carry the primary one in their low byte.
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w (%v)", store.ErrDiskFull, err)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR:
		return fmt.Errorf("%w (%v)", store.ErrUnwritable, err)
	}
	return err
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
