// Package store holds classroomd's domain types and the persistence interface
// that the SQLite and PostgreSQL backends implement. It imports no SQL driver.
package store

import (
	"context"
	"errors"
	"time"
)

// Role is what a user may do: students get a workspace, professors the console too.
type Role string

const (
	RoleStudent   Role = "student"
	RoleProfessor Role = "professor"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleStudent || r == RoleProfessor }

// User is one account in the roster.
type User struct {
	ID           int64
	Username     string // unique, validated by the caller (see internal/accounts)
	FullName     string
	Email        string
	Role         Role
	PasswordHash string // bcrypt; never logged
	Disabled     bool
	// MustChangePassword is set when classroomd generated the password: its owner
	// must choose their own at the next login.
	MustChangePassword bool
	CreatedAt          time.Time
	LastLoginAt        time.Time // zero when the user has never logged in
}

// PublicKey is an SSH public key a user registered for login.
type PublicKey struct {
	ID          int64
	Username    string
	Fingerprint string // SHA256:... as ssh-keygen -l prints it; unique across all users
	Key         string // authorized_keys form: "ssh-ed25519 AAAA..." (no comment)
	Comment     string
	CreatedAt   time.Time
}

// AuditEntry is one line of the audit log: who did what, to whom, from where, with what outcome.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string // username, or "cli:<os user>" for the command line
	Action  string // e.g. "login.password", "user.add", "user.disable"
	Target  string // the user the action concerns, if any
	Remote  string // remote address, or "local"
	Outcome string // "ok", "denied" or "error"
	Detail  string // a short human-readable reason; never a secret
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	User  string // matches Actor or Target
	Limit int    // newest first; 0 means a backend default of 100
}

// UserImport is one validated roster row to create or update. For an existing
// user an empty field means "keep what is there"; for a new user an empty Role
// means student and PasswordHash must be set.
type UserImport struct {
	Username     string
	FullName     string
	Email        string
	Role         Role
	PasswordHash string
	// MustChangePassword applies with PasswordHash: true when the password was generated.
	MustChangePassword bool
}

// ImportResult lists the usernames an import created and updated, in input order.
type ImportResult struct {
	Created []string
	Updated []string
}

// FailureCount is the state of a login-throttling counter within its window.
type FailureCount struct {
	Count int       // failures since the window started; 0 if the window expired
	Last  time.Time // time of the latest failure; zero if Count is 0
}

// Throttle scopes: failures are counted per username and per remote IP.
const (
	ScopeUser = "user"
	ScopeIP   = "ip"
)

var (
	// ErrNotFound means the named user or key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique value (username, key fingerprint) is already taken.
	ErrConflict = errors.New("already exists")
	// ErrDiskFull means a write failed because the disk holding the
	// database is full; it succeeds again once there is room.
	ErrDiskFull = errors.New("the disk holding the database is full: free space on it (the data dir's disk) and try again")
	// ErrUnwritable means the database reads but takes no writes (its file
	// or file system became read-only, or the disk fails).
	ErrUnwritable = errors.New("the database cannot be written (its file or file system is read-only, or the disk fails): check the data dir's disk and permissions")
)

// Store is the persistence interface. Every method is safe for concurrent use,
// including by several processes at once (the CLI while the server runs).
//
// Errors wrap ErrNotFound or ErrConflict (test with errors.Is): a method that
// names a user or key returns ErrNotFound when it does not exist. Times come
// back in UTC with microsecond precision.
type Store interface {
	Classroom // announcements and the help queue: see classroom.go
	// Migrate applies pending embedded migrations and returns the versions applied
	// now (empty when up to date). Running it twice is a no-op.
	Migrate(ctx context.Context) ([]string, error)
	Ping(ctx context.Context) error
	Close() error

	// CreateUser inserts u (ID and CreatedAt are set on return; a zero CreatedAt means now).
	// ErrConflict if the username exists.
	CreateUser(ctx context.Context, u *User) error
	UserByName(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context) ([]User, error) // ordered by username
	CountUsers(ctx context.Context) (int, error)
	SetPasswordHash(ctx context.Context, username, hash string, mustChange bool) error
	SetDisabled(ctx context.Context, username string, disabled bool) error
	RecordLogin(ctx context.Context, username string, at time.Time) error
	// ImportUsers creates or updates every row in one transaction: all or nothing.
	ImportUsers(ctx context.Context, rows []UserImport) (ImportResult, error)

	// AddPublicKey registers k for k.Username. ErrConflict if the fingerprint is registered (to anyone).
	AddPublicKey(ctx context.Context, k PublicKey) error
	// ListPublicKeys returns the user's keys, oldest first (empty, not an error, when
	// the user has none).
	ListPublicKeys(ctx context.Context, username string) ([]PublicKey, error)
	// RemovePublicKey deletes one of the user's keys. ErrNotFound unless username has
	// a key with that fingerprint.
	RemovePublicKey(ctx context.Context, username, fingerprint string) error
	// UserByKeyFingerprint returns the owner of a registered key.
	UserByKeyFingerprint(ctx context.Context, fingerprint string) (User, error)

	// AppendAudit adds e; a zero At means now.
	AppendAudit(ctx context.Context, e AuditEntry) error
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) // newest first

	// RecordLoginFailure adds one failure to the counter (scope, key) at time at and
	// returns the new state. A counter whose last failure is older than window restarts at 1.
	RecordLoginFailure(ctx context.Context, scope, key string, at time.Time, window time.Duration) (FailureCount, error)
	// LoginFailures reads a counter; Count is 0 when its last failure is older than window before now.
	LoginFailures(ctx context.Context, scope, key string, now time.Time, window time.Duration) (FailureCount, error)
	ClearLoginFailures(ctx context.Context, scope, key string) error

	WebSessions  // browser logins: see websessions.go
	UserUpdater  // profile edits: see users_update.go
	Course       // assignments, submissions, grades: see course.go
	Retention    // pruning of the audit log and login failures: see retention.go
	UserSettings // per-user preferences (the figure protocol): see settings.go
}
