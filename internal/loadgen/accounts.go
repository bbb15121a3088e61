package loadgen

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Username is the i-th (from 0) simulated student's name: prefix001, prefix002...
func Username(prefix string, i int) string { return fmt.Sprintf("%s%03d", prefix, i+1) }

// CheckPrefix accepts a username prefix classroomd takes: a lowercase
// letter first, then lowercase letters, digits, '.', '_' or '-', short
// enough for the number after it.
func CheckPrefix(prefix string) error {
	if prefix == "" || len(prefix) > 24 || prefix[0] < 'a' || prefix[0] > 'z' {
		return fmt.Errorf("the username prefix %q must start with a letter a-z and be at most 24 characters", prefix)
	}
	for _, r := range prefix {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("the username prefix %q may hold only letters a-z, digits, '.', '_' and '-'", prefix)
		}
	}
	return nil
}

// CheckPassword applies classroomd's rules for a chosen password to the
// students' shared one, so that the import does not refuse it row by row.
func CheckPassword(prefix, password string) error {
	switch {
	case len(password) < 8:
		return fmt.Errorf("the students' password is too short: classroomd wants at least 8 characters")
	case len(password) > 72:
		return fmt.Errorf("the students' password is too long: bcrypt uses at most 72 bytes")
	case strings.Contains(strings.ToLower(password), strings.ToLower(prefix)):
		return fmt.Errorf("the students' password must not contain the username prefix %q (classroomd refuses a password that holds the username)", prefix)
	case strings.ContainsAny(password, "\r\n"):
		return fmt.Errorf("the students' password must be one line")
	}
	return nil
}

// WriteRoster writes a roster CSV for `classroomd user import`: n students
// named by prefix, and the professor when not "", all with password (which
// makes it theirs: no forced change at first login).
func WriteRoster(w io.Writer, prefix string, n int, professor, password string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"username", "full_name", "role", "password"}); err != nil {
		return err
	}
	for i := range n {
		if err := cw.Write([]string{Username(prefix, i), fmt.Sprintf("Load Student %d", i+1), "student", password}); err != nil {
			return err
		}
	}
	if professor != "" {
		if err := cw.Write([]string{professor, "Load Professor", "professor", password}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ImportAccounts creates (or updates) the n students (and the professor)
// with the classroomd
// binary at bin: `classroomd user import -` with the roster on standard
// input, so the password is never on a command line. args follow the
// command (--data-dir DIR; a --database-url is best left in the environment,
// CLASSROOMD_DATABASE_URL, which the command inherits).
func ImportAccounts(ctx context.Context, bin string, args []string, prefix string, n int, professor, password string, out io.Writer) error {
	var roster bytes.Buffer
	if err := WriteRoster(&roster, prefix, n, professor, password); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"user", "import", "-"}, args...)...)
	cmd.Stdin = &roster
	var stderr bytes.Buffer
	cmd.Stdout = out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s user import: %w\n%s", bin, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
