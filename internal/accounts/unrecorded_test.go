package accounts

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/store"
)

// readOnlyStore reads but takes no writes: SQLite's file made read-only
// under the server.
type readOnlyStore struct{ store.Store }

func (readOnlyStore) RecordLogin(context.Context, string, time.Time) error {
	return fmt.Errorf("record login: %w", store.ErrUnwritable)
}

// #16 case 1: a right password is refused while the store cannot record
// the login (so neither it nor a wrong password would be counted or
// audited); once the store takes writes it logs in.
func TestLoginRefusedWhenItCannotBeRecorded(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	addUser(t, svc, "alice", "correct horse")
	svc.store = readOnlyStore{st}
	res, err := svc.LoginPassword(context.Background(), "alice", "correct horse", "192.0.2.7:5000")
	if err != nil || res.OK || res.Reason != "error" {
		t.Fatalf("login with a store that takes no writes = %+v, %v; want refused with reason error", res, err)
	}
	svc.store = st
	if res, err := svc.LoginPassword(context.Background(), "alice", "correct horse", "192.0.2.7:5001"); err != nil || !res.OK {
		t.Fatalf("login once the store takes writes = %+v, %v", res, err)
	}
}
