package accounts

import (
	"context"
	"fmt"

	"github.com/classroomd/classroomd/internal/roster"
	"github.com/classroomd/classroomd/internal/store"
)

// ImportPlanRow is what Import would do with one valid row.
type ImportPlanRow struct {
	Line int
	// The account as it would be after the import: a blank field of an
	// existing user keeps its value, a new user without a role is a student.
	Username, FullName, Email string
	Role                      store.Role
	New                       bool // the user would be created
	// HasPassword: the row sets a password (or a hash). A new user without
	// one gets a generated password; an existing one keeps theirs.
	HasPassword bool
}

// ImportPlan is what Import would do with rows, as PlanImport found it.
type ImportPlan struct {
	Rows    []ImportPlanRow    // the valid rows, in file order
	Invalid []roster.LineError // rows Import would refuse, with the reason
}

// PlanImport validates rows exactly as Import does and says what Import
// would do with them, without writing anything or hashing a password: the
// preview a professor reads before importing.
func (s *Service) PlanImport(ctx context.Context, rows []roster.Row) (ImportPlan, error) {
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return ImportPlan{}, fmt.Errorf("list users: %w", err)
	}
	existing := make(map[string]store.User, len(users))
	for _, u := range users {
		existing[u.Username] = u
	}
	var plan ImportPlan
	seen := map[string]int{}
	for _, r := range rows {
		imp, pw, err := s.validateRow(r, seen)
		if err != nil {
			plan.Invalid = append(plan.Invalid, roster.LineError{Line: r.Line, Err: err})
			continue
		}
		seen[imp.Username] = r.Line
		row := ImportPlanRow{Line: r.Line, Username: imp.Username, FullName: imp.FullName, Email: imp.Email, Role: imp.Role,
			HasPassword: pw != "" || imp.PasswordHash != ""}
		if u, ok := existing[imp.Username]; ok {
			if row.FullName == "" {
				row.FullName = u.FullName
			}
			if row.Email == "" {
				row.Email = u.Email
			}
			if row.Role == "" {
				row.Role = u.Role
			}
		} else {
			row.New = true
			if row.Role == "" {
				row.Role = store.RoleStudent
			}
		}
		plan.Rows = append(plan.Rows, row)
	}
	return plan, nil
}
