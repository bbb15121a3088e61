package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/classroomd/classroomd/internal/store"
)

// userUpdateTests cover store.UserUpdater.
func userUpdateTests() []namedTest {
	return []namedTest{
		{"UpdateUser", testUpdateUser},
		{"UpdateUserConcurrent", testUpdateUserConcurrent},
	}
}

func ptr[T any](v T) *T { return &v }

// testUpdateUser checks that only the fields given change, that before and
// after are returned, that an empty change and a missing user behave, and
// that an invalid role changes nothing.
func testUpdateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := mustCreate(t, s, "alice", store.RoleStudent)
	bob := mustCreate(t, s, "bob", store.RoleStudent)

	before, after, err := s.UpdateUser(ctx, "alice", store.UserUpdate{FullName: ptr("Alice Liddell")})
	if err != nil {
		t.Fatalf("UpdateUser(full name): %v", err)
	}
	sameUser(t, before, alice)
	alice.FullName = "Alice Liddell"
	sameUser(t, after, alice)
	sameUser(t, mustGet(t, s, "alice"), alice)

	before, after, err = s.UpdateUser(ctx, "alice", store.UserUpdate{Email: ptr(""), Role: ptr(store.RoleProfessor)})
	if err != nil {
		t.Fatalf("UpdateUser(email, role): %v", err)
	}
	sameUser(t, before, alice)
	alice.Email, alice.Role = "", store.RoleProfessor // an empty string is a value, not "keep"
	sameUser(t, after, alice)
	sameUser(t, mustGet(t, s, "alice"), alice)
	checkUTC(t, "after.CreatedAt", after.CreatedAt)

	before, after, err = s.UpdateUser(ctx, "alice", store.UserUpdate{})
	if err != nil {
		t.Fatalf("UpdateUser(nothing): %v", err)
	}
	sameUser(t, before, alice)
	sameUser(t, after, alice)

	if _, _, err := s.UpdateUser(ctx, "nobody", store.UserUpdate{FullName: ptr("X")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateUser(missing user) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.UpdateUser(ctx, "nobody", store.UserUpdate{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateUser(missing user, nothing) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.UpdateUser(ctx, "alice", store.UserUpdate{FullName: ptr("Changed"), Role: ptr(store.Role("root"))}); err == nil {
		t.Error("UpdateUser accepted the role \"root\"")
	}
	sameUser(t, mustGet(t, s, "alice"), alice) // nothing of the refused change
	sameUser(t, mustGet(t, s, "bob"), bob)     // untouched throughout
}

// testUpdateUserConcurrent checks that concurrent updates of one user each
// see, as "before", exactly what the previous one left: every value written
// is replaced by exactly one later update, so the chain has no fork.
func testUpdateUserConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "alice", store.RoleStudent)
	const n = 16
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		replaced = map[string]int{} // before.FullName -> how many updates replaced it
		errs     []error
	)
	for i := range n {
		wg.Go(func() {
			before, after, err := s.UpdateUser(ctx, "alice", store.UserUpdate{FullName: ptr(fmt.Sprintf("name %d", i))})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if after.FullName != fmt.Sprintf("name %d", i) {
				errs = append(errs, fmt.Errorf("update %d returned after.FullName %q", i, after.FullName))
			}
			replaced[before.FullName]++
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	for name, k := range replaced {
		if k != 1 {
			t.Errorf("%d concurrent updates saw %q as the value they replaced; each value is replaced once", k, name)
		}
	}
	if len(replaced) != n && len(errs) == 0 {
		t.Errorf("%d distinct replaced values for %d updates", len(replaced), n)
	}
}
