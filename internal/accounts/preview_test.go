package accounts

import (
	"context"
	"slices"
	"testing"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/store"
)

// TestPlanImportWritesNothing checks that the plan says what Import would
// do (new or updated, the values that would be stored, who has a password)
// and names the bad lines, and that nothing is written meanwhile.
func TestPlanImportWritesNothing(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	if _, _, err := svc.AddUser(ctx, cli, NewUser{Username: "alice", FullName: "Alice A", Email: "alice@example.edu", Role: store.RoleProfessor}); err != nil {
		t.Fatal(err)
	}
	before, _ := st.ListUsers(ctx)
	auditBefore, _ := st.ListAudit(ctx, store.AuditFilter{Limit: 1000})
	rows := rosterOf(t, "username,full_name,email,role,password\n"+
		"alice,,,,\n"+ // line 2: existing, blanks keep
		"Bob,Bob B,bob@example.edu,,long enough pw\n"+ // line 3: new, normalised name, password
		"bad name,X,,,\n"+ // line 4: invalid username
		"carol,Carol,not-an-email,,\n"+ // line 5: invalid email
		"bob,again,,,\n"+ // line 6: duplicate of line 3
		"dan,Dan,,professor,\n") // line 7: new professor, password generated
	plan, err := svc.PlanImport(ctx, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []ImportPlanRow{
		{Line: 2, Username: "alice", FullName: "Alice A", Email: "alice@example.edu", Role: store.RoleProfessor},
		{Line: 3, Username: "bob", FullName: "Bob B", Email: "bob@example.edu", Role: store.RoleStudent, New: true, HasPassword: true},
		{Line: 7, Username: "dan", FullName: "Dan", Role: store.RoleProfessor, New: true},
	}
	if !slices.Equal(plan.Rows, want) {
		t.Errorf("plan rows:\n got  %+v\n want %+v", plan.Rows, want)
	}
	var bad []int
	for _, e := range plan.Invalid {
		bad = append(bad, e.Line)
	}
	if !slices.Equal(bad, []int{4, 5, 6}) {
		t.Errorf("invalid lines %v (%v), want 4, 5, 6", bad, plan.Invalid)
	}
	after, _ := st.ListUsers(ctx)
	auditAfter, _ := st.ListAudit(ctx, store.AuditFilter{Limit: 1000})
	if len(after) != len(before) || len(auditAfter) != len(auditBefore) {
		t.Errorf("PlanImport wrote: users %d -> %d, audit entries %d -> %d", len(before), len(after), len(auditBefore), len(auditAfter))
	}
}
