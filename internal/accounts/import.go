package accounts

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/classroomd/classroomd/internal/roster"
	"github.com/classroomd/classroomd/internal/store"
)

// ImportOptions tunes Import.
type ImportOptions struct {
	SkipInvalid bool                  // import the valid rows even if some are invalid
	Progress    func(done, total int) // called as passwords are hashed (the slow part), one call at a time
}

// ImportReport says what an import did, or would have done.
type ImportReport struct {
	Created   []string
	Updated   []string
	Generated []roster.Generated // passwords made for new users without one
	Invalid   []roster.LineError // rows refused, with the reason
}

// ErrInvalidRows means some rows were invalid and, without SkipInvalid, nothing was written.
var ErrInvalidRows = errors.New("the roster has invalid rows")

// Import creates or updates the users in rows, all in one transaction. Existing
// users keep their password unless the row gives one, and blank fields keep their
// value. New users without a password get a generated one, returned in the report.
func (s *Service) Import(ctx context.Context, by Actor, rows []roster.Row, opt ImportOptions) (ImportReport, error) {
	existing, err := s.existingUsernames(ctx)
	if err != nil {
		return ImportReport{}, err
	}
	var rep ImportReport
	valid := make([]store.UserImport, 0, len(rows))
	plain := make([]string, 0, len(rows)) // password to hash for valid[i], or ""
	seen := map[string]int{}
	for _, r := range rows {
		imp, pw, err := s.validateRow(r, seen)
		if err != nil {
			rep.Invalid = append(rep.Invalid, roster.LineError{Line: r.Line, Err: err})
			continue
		}
		seen[imp.Username] = r.Line
		if pw == "" && imp.PasswordHash == "" && !existing[imp.Username] {
			pw = GeneratePassword()
			imp.MustChangePassword = true
			rep.Generated = append(rep.Generated, roster.Generated{Username: imp.Username, Password: pw})
		}
		valid = append(valid, imp)
		plain = append(plain, pw)
	}
	if len(rep.Invalid) > 0 && !opt.SkipInvalid {
		rep.Generated = nil
		return rep, fmt.Errorf("%w: %d of %d rows; nothing was imported (fix them, or pass --skip-invalid)", ErrInvalidRows, len(rep.Invalid), len(rows))
	}
	if err := s.hashAll(ctx, valid, plain, opt.Progress); err != nil {
		return ImportReport{}, err
	}
	res, err := s.store.ImportUsers(ctx, valid)
	if err != nil {
		return ImportReport{}, fmt.Errorf("import roster: %w (nothing was imported)", err)
	}
	rep.Created, rep.Updated = res.Created, res.Updated
	var homeErrs []string
	for _, name := range res.Created {
		if _, err := s.EnsureHome(ctx, name); err != nil {
			homeErrs = append(homeErrs, fmt.Sprintf("%s: %v", name, err))
		}
	}
	s.audit(ctx, by, "user.import", "", "ok", fmt.Sprintf("created %d, updated %d, skipped %d invalid", len(res.Created), len(res.Updated), len(rep.Invalid)))
	if len(homeErrs) > 0 {
		return rep, fmt.Errorf("users were imported, but some homes could not be created (they are retried at login): %s", strings.Join(homeErrs, "; "))
	}
	return rep, nil
}

func (s *Service) existingUsernames(ctx context.Context) (map[string]bool, error) {
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	m := make(map[string]bool, len(users))
	for _, u := range users {
		m[u.Username] = true
	}
	return m, nil
}

// validateRow checks one row and returns it ready to store, plus a password to hash.
func (s *Service) validateRow(r roster.Row, seen map[string]int) (store.UserImport, string, error) {
	name, err := NormalizeUsername(r.Username)
	if err != nil {
		return store.UserImport{}, "", err
	}
	if first, dup := seen[name]; dup {
		return store.UserImport{}, "", fmt.Errorf("username %q already appears on line %d", name, first)
	}
	role := store.Role(r.Role)
	if role != "" && !role.Valid() {
		return store.UserImport{}, "", fmt.Errorf("role %q is not student or professor", Printable(r.Role))
	}
	if err := ValidateFullName(r.FullName); err != nil {
		return store.UserImport{}, "", err
	}
	if err := ValidateEmail(r.Email); err != nil {
		return store.UserImport{}, "", err
	}
	switch {
	case r.Password != "" && r.PasswordHash != "":
		return store.UserImport{}, "", fmt.Errorf("give either password or password_hash, not both")
	case r.Password != "":
		if err := CheckPassword(name, r.Password); err != nil {
			return store.UserImport{}, "", err
		}
	case r.PasswordHash != "":
		if err := CheckImportedHash(r.PasswordHash); err != nil {
			return store.UserImport{}, "", fmt.Errorf("password_hash: %w", err)
		}
	}
	return store.UserImport{Username: name, FullName: r.FullName, Email: r.Email, Role: role, PasswordHash: r.PasswordHash}, r.Password, nil
}

// hashAll bcrypt-hashes plain[i] into rows[i] on every core, reporting progress.
func (s *Service) hashAll(ctx context.Context, rows []store.UserImport, plain []string, progress func(done, total int)) error {
	var todo []int
	for i, pw := range plain {
		if pw != "" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	var (
		next       atomic.Int64
		wg         sync.WaitGroup
		errOnce    sync.Once
		firstErr   error
		progressMu sync.Mutex // progress callbacks run one at a time, in order
		done       int
	)
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(todo) || ctx.Err() != nil {
					return
				}
				i := todo[k]
				h, err := HashPassword(plain[i], s.cost)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				rows[i].PasswordHash = h
				progressMu.Lock()
				done++
				if progress != nil {
					progress(done, len(todo))
				}
				progressMu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
